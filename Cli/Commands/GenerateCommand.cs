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
        var connectTimeout = GridOptions.ConnectTimeout();
        var tls = new TlsArguments();
        var command = new Command("generate", "Generate a continuation of a prompt through the grid")
        {
            model, prompt, maxTokens, temperature, topP, topK, seed, json, cluster, clusterId, connectTimeout,
        };
        foreach (var option in tls.All) command.Options.Add(option);
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            // Everything the command line alone decides is checked before connecting or printing anything.
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
            request.Validate();
            return await Run(parse.GetValue(model), request, parse.GetValue(json), GridOptions.Connection(parse, cluster, clusterId, connectTimeout, tls), cancellation);
        }));
        return command;
    }

    private static async Task<int> Run(string? modelDirectory, GenerateRequest request, bool json, GridConnection connection, CancellationToken cancellation)
    {
        string path = ModelSource.Resolve(modelDirectory);
        string model = ModelNames.For(path);
        await using var grid = await GridSession.Open(connection, cancellation);
        // The prompt is echoed with the first token: every check (the instance's context and KV cache included) has passed by
        // then, so a refused request prints only its error.
        bool echoed = false;
        Action<GenerationUpdate>? show = json ? null : update =>
        {
            if (!echoed && (update.TokenId >= 0 || update.Finish is not null))
            {
                echoed = true;
                Console.Write(PromptEcho.Of(request.Prompt));
            }
            Console.Write(update.Text);
        };
        var result = await GenerateDeploying(grid, model, path, request, show, cancellation);
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

    /// <summary>
    /// Generates through the model grain, which alone says whether the model is deployed: the embedded grid always deploys
    /// it first; on a running cluster a model the grain does not know is deployed with one instance, then asked again.
    /// Nothing else of the cluster is asked, so a host that is down only matters if it serves this model.
    /// </summary>
    private static async Task<GenerateResult> GenerateDeploying(GridSession grid, string model, string path, GenerateRequest request,
        Action<GenerationUpdate>? show, CancellationToken cancellation)
    {
        var deploy = new DeployRequest { ModelDirectory = Path.GetFullPath(path), Instances = 1 };
        if (grid.Embedded)
        {
            await grid.Client.DeployAsync(model, deploy, cancellation);
            return await grid.Client.GenerateAsync(model, request, show, cancellation);
        }
        bool started = false;
        try
        {
            return await grid.Client.GenerateAsync(model, request, update => { started = true; show?.Invoke(update); }, cancellation);
        }
        catch (KeyNotFoundException) when (!started)
        {
            await grid.Client.DeployAsync(model, deploy, cancellation);
        }
        return await grid.Client.GenerateAsync(model, request, show, cancellation);
    }
}

/// <summary>The <c>--json</c> output of <c>blitz generate</c>; <c>emulated</c> is true when the tokens are an emulated GPU's pseudo-tokens.</summary>
internal sealed record GenerateReport(
    string Model, int[] PromptIds, int[] OutputIds, string Text, double TtftMs, double TokensPerSecond, string FinishReason, bool Emulated);
