using BlitzScale.Cli.Commands;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Serving;
using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// <c>blitz bench serve</c>: the same workload and batch policy served directly by an <see cref="InstanceServer"/>
/// on the engine, and through the grid (an embedded one-host silo: client → model grain → shard grain → the
/// same server), in alternating rounds of one run. The ratio of their token rates is the grid's overhead.
/// </summary>
internal static class ServeBenchmark
{
    private const int Rounds = 3;
    private const int OneTokenRequests = 50;
    public const double GoalRatio = 0.9;
    public const double GoalAddedLatencyMs = 1.0;

    public static async Task<ServeReport> Run(string modelPath, ServeWorkload workload, Action<string> progress, CancellationToken cancellation)
    {
        using var model = LocalModel.Open(modelPath);
        int blocksPerRequest = (workload.PromptTokens + workload.MaxTokens + BatchPolicy.DefaultBlockSize - 1) / BatchPolicy.DefaultBlockSize;
        var policy = new BatchPolicy { KvBlocks = (workload.Concurrency + 1) * blocksPerRequest };
        using var device = new DeviceExecutor("bench/gpu0");
        using var engine = new CpuEngine(model.Image, new KvStoreShape(policy.KvBlocks, policy.BlockSize));
        await using var direct = new InstanceServer(engine, policy, device, model.Directory.Generation.EosTokenId);
        Func<int[], int, Func<Task>, Task> directGenerate = async (prompt, maxTokens, onToken) =>
        {
            var request = new ServingRequest(Guid.NewGuid().ToString("N"), prompt, maxTokens, SamplingOptions.Greedy, StopAtEos: false);
            await foreach (var token in direct.GenerateAsync(request, cancellation))
            {
                if (token.TokenId >= 0) await onToken();
            }
        };

        progress("starting the embedded grid and deploying the model");
        await using var grid = await GridSession.Open(null, GridSession.DefaultClusterId, cancellation);
        string name = ModelNames.For(modelPath);
        await grid.Client.DeployAsync(name, new DeployRequest
        {
            ModelDirectory = Path.GetFullPath(modelPath),
            KvBlocks = policy.KvBlocks,
            MaxBatchTokens = policy.MaxBatchTokens,
        }, cancellation);
        Func<int[], int, Func<Task>, Task> gridGenerate = async (prompt, maxTokens, onToken) =>
        {
            var request = new GenerateRequest { PromptIds = prompt, MaxTokens = maxTokens, StopAtEos = false };
            await foreach (var update in grid.Client.GenerateStreamingAsync(name, request, cancellation))
            {
                if (update.TokenId >= 0) await onToken();
            }
        };

        // Warm both paths (JIT, first-touch of KV memory) outside the measurement.
        await workload.OneTokenLatency(directGenerate, gridGenerate, 3);

        RunResult? bestDirect = null, bestGrid = null;
        for (int round = 0; round < Rounds; round++)
        {
            progress($"round {round + 1}/{Rounds}: direct");
            var d = await workload.Run(directGenerate);
            progress($"round {round + 1}/{Rounds}: grid");
            var g = await workload.Run(gridGenerate);
            if (bestDirect is null || d.TokensPerSecond > bestDirect.TokensPerSecond) bestDirect = d;
            if (bestGrid is null || g.TokensPerSecond > bestGrid.TokensPerSecond) bestGrid = g;
        }

        progress("one-token request latency, direct and grid alternating");
        var latency = await workload.OneTokenLatency(directGenerate, gridGenerate, OneTokenRequests);

        double ratio = bestGrid!.TokensPerSecond / bestDirect!.TokensPerSecond;
        double added = latency.AddedMs.P50;
        return new ServeReport(modelPath, workload.Concurrency, workload.Requests, workload.PromptTokens, workload.MaxTokens, policy.MaxBatchTokens,
            bestDirect, bestGrid, latency.FirstMs.P50, latency.SecondMs.P50,
            Math.Round(ratio, 3), GoalRatio, Math.Round(added, 3), GoalAddedLatencyMs,
            ratio >= GoalRatio && added < GoalAddedLatencyMs);
    }
}

/// <summary>The JSON report of <c>blitz bench serve</c>.</summary>
internal sealed record ServeReport(
    string Model,
    int Concurrency,
    int Requests,
    int PromptTokens,
    int MaxTokens,
    int MaxBatchTokens,
    RunResult Direct,
    RunResult Grid,
    double DirectOneTokenLatencyP50Ms,
    double GridOneTokenLatencyP50Ms,
    double GridOverheadRatio,
    double GoalRatio,
    double GridAddedLatencyP50Ms,
    double GoalAddedLatencyMs,
    bool MeetsGoals);
