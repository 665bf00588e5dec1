using System.CommandLine;
using System.Text.Json;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Sampling;

namespace BlitzScale.Cli.Commands;

/// <summary><c>blitz generate</c>: prints the continuation of a prompt, generated through the grid.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Hugging Face Llama model directory (default: stories260K, the small TinyStories model shipped with blitz)" };
        var prompt = new Option<string>("--prompt") { Description = "The prompt text", DefaultValueFactory = _ => "Once upon a time" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens to generate", DefaultValueFactory = _ => GenerateRequest.DefaultMaxTokens };
        var temperature = new Option<float>("--temperature") { Description = "0 is greedy", DefaultValueFactory = _ => 0f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Keep only the k most likely tokens (0: all)", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0UL };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text" };
        var cluster = GridOptions.Cluster();
        var clusterId = GridOptions.ClusterId();
        var command = new Command("generate", "Generate a continuation of a prompt through the grid")
        {
            model, prompt, maxTokens, temperature, topP, topK, seed, json, cluster, clusterId,
        };
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            new SamplingOptions(parse.GetValue(temperature), parse.GetValue(topP), parse.GetValue(topK), parse.GetValue(seed)).Validate();
            var request = new GenerateRequest
            {
                Prompt = parse.GetValue(prompt)!,
                MaxTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK),
                Seed = parse.GetValue(seed),
            };
            return await Run(parse.GetValue(model), request, parse.GetValue(json), parse.GetValue(cluster), parse.GetValue(clusterId)!, cancellation);
        }));
        return command;
    }

    private static async Task<int> Run(string? modelDirectory, GenerateRequest request, bool json, string? cluster, string clusterId, CancellationToken cancellation)
    {
        string path = ModelSource.Resolve(modelDirectory);
        string model = ModelNames.For(path);
        await using var grid = await GridSession.Open(cluster, clusterId, cancellation);
        await EnsureDeployed(grid, model, path, cancellation);

        if (!json) Console.Write(request.Prompt);
        var result = await grid.Client.GenerateAsync(model, request, json ? null : update => Console.Write(update.Text), cancellation);
        Report(path, result, json, Console.Out, Console.Error);
        return 0;
    }

    /// <summary>What follows the streamed text (or, with <paramref name="json"/>, the whole result), and a note on stderr when the GPU is emulated.</summary>
    internal static void Report(string modelPath, GenerateResult result, bool json, TextWriter stdout, TextWriter stderr)
    {
        if (json)
        {
            var report = new GenerateReport(modelPath, result.PromptIds, result.OutputIds, result.Text,
                Math.Round(result.TtftMs, 3), Math.Round(result.TokensPerSecond, 1), result.FinishReason, result.Emulated);
            stdout.WriteLine(JsonSerializer.Serialize(report, CliJson.Options));
        }
        else
        {
            stdout.WriteLine();
            stderr.WriteLine($"[{ModelNames.For(modelPath)}: {result.OutputIds.Length} tokens, ttft {result.TtftMs:F1} ms, {result.TokensPerSecond:F1} tokens/s, finished by {result.FinishReason}]");
        }
        if (result.Emulated) stderr.WriteLine(EmulatedNote(result.Instance));
    }

    /// <summary>The line that says a generation ran on an emulated GPU.</summary>
    internal static string EmulatedNote(string instance) =>
        $"[emulated: {instance} runs on an emulated GPU (timed backend): these are pseudo-tokens, and its times come from a cost profile, not from compute]";

    /// <summary>The embedded grid always deploys the model; a running cluster deploys it with one instance if it is not there yet.</summary>
    private static async Task EnsureDeployed(GridSession grid, string model, string path, CancellationToken cancellation)
    {
        if (!grid.Embedded)
        {
            var status = await grid.Client.StatusAsync(cancellation);
            if (status.Models.Any(m => m.Model == model)) return;
        }
        await grid.Client.DeployAsync(model, new DeployRequest { ModelDirectory = Path.GetFullPath(path), Instances = 1 }, cancellation);
    }
}

/// <summary>The <c>--json</c> output of <c>blitz generate</c>; <c>emulated</c> is true when the tokens are an emulated GPU's pseudo-tokens.</summary>
internal sealed record GenerateReport(
    string Model, int[] PromptIds, int[] OutputIds, string Text, double TtftMs, double TokensPerSecond, string FinishReason, bool Emulated);
