using System.CommandLine;
using System.Text.Json;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Client.Commands;

/// <summary><c>blitz generate</c>: prints the continuation of a prompt.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Hugging Face Llama model directory (default: a synthetic tiny model, created once in the cache)" };
        var prompt = new Option<string>("--prompt") { Description = "The prompt text", DefaultValueFactory = _ => "Once upon a time" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens to generate", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "0 is greedy", DefaultValueFactory = _ => 0f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Keep only the k most likely tokens (0: all)", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0UL };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text" };
        var command = new Command("generate", "Generate a continuation of a prompt") { model, prompt, maxTokens, temperature, topP, topK, seed, json };
        command.SetAction(parse => CliErrors.Run(() => Run(
            parse.GetValue(model), parse.GetValue(prompt)!, parse.GetValue(maxTokens),
            new SamplingOptions(parse.GetValue(temperature), parse.GetValue(topP), parse.GetValue(topK), parse.GetValue(seed)),
            parse.GetValue(json))));
        return command;
    }

    private static int Run(string? modelDirectory, string prompt, int maxTokens, SamplingOptions sampling, bool json)
    {
        sampling.Validate();
        string path = ModelSource.Resolve(modelDirectory);
        using var model = LocalModel.Open(path);
        int[] promptIds = model.Tokenizer.Encode(prompt);
        var decoder = new StreamingDecoder(model.Tokenizer);
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

        Action<int>? onToken = json ? null : id => Console.Write(decoder.Append(id));
        if (!json) Console.Write(prompt);
        var result = model.CreateGenerator().Generate(promptIds, new GenerationOptions(maxTokens, sampling), onToken, cancel.Token);
        if (json)
        {
            var report = new GenerateReport(path, result.PromptIds, result.OutputIds, model.Tokenizer.Decode(result.OutputIds),
                Math.Round(result.TtftMs, 3), Math.Round(result.TokensPerSecond, 1), result.Finish.ToString().ToLowerInvariant());
            Console.WriteLine(JsonSerializer.Serialize(report, CliJson.Options));
        }
        else
        {
            Console.WriteLine(decoder.Flush());
            Console.Error.WriteLine($"[{result.OutputIds.Length} tokens, ttft {result.TtftMs:F1} ms, {result.TokensPerSecond:F1} tokens/s, finished by {result.Finish.ToString().ToLowerInvariant()}]");
        }
        return 0;
    }
}

/// <summary>The <c>--json</c> output of <c>blitz generate</c>.</summary>
internal sealed record GenerateReport(
    string Model, int[] PromptIds, int[] OutputIds, string Text, double TtftMs, double TokensPerSecond, string FinishReason);
