using BlitzScale.Cli.Benchmarks;
using BlitzScale.Client;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Replay;

/// <summary>
/// Replays a schedule against a model already deployed: the open-loop driver sends every request at its time with a
/// prompt of exactly its token count and <c>max_tokens</c> = its output count, EOS ignored; the sampler reads the cluster
/// every 250 ms meanwhile, until the window's end or the last request's, whichever is later; the figures come from the log
/// and the samples.
/// </summary>
internal sealed class Replayer(BlitzScaleClient client, TimeProvider time, int vocab, int seed)
{
    /// <summary>Requests still open this long after the last arrival are cancelled and counted as lost.</summary>
    public static readonly TimeSpan DefaultDrain = TimeSpan.FromMinutes(2);

    private readonly ServeWorkload _prompts = new(1, 1, 1, 1, vocab, seed);

    /// <summary>Runs the replay; <paramref name="onTick"/> sees the counters and the latest sample after every sample.</summary>
    public async Task<ReplayResult> Run(string model, ReplaySchedule schedule, ReplaySlo slo, TimeSpan drain, ReplayResult result,
        Action<ReplayCounters, ClusterSample?, double>? onTick, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var counters = new ReplayCounters();
        long origin = time.GetTimestamp();
        var sampler = new ClusterSampler(client.StatusAsync, model, time, origin, counters);
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var samples = Task.Run(() => Sample(sampler, sampling.Token, counters, origin, onTick), CancellationToken.None);
        IReadOnlyList<ReplayRequest> log;
        try
        {
            log = await ReplayDriver.Play(schedule.Arrivals, (a, ct) => client.GenerateStreamingAsync(model, Request(a), ct), time, origin, drain, counters, cancellation);
            // The window's quiet tail is played too: what the cluster holds while idle counts in its GPU-seconds. A timer may fire
            // a few ms early (it counts on a coarser clock than the elapsed time), so it waits again until the end has passed.
            for (double tail; (tail = schedule.DurationSeconds - time.GetElapsedTime(origin).TotalSeconds) > 0;)
                await Task.Delay(TimeSpan.FromSeconds(tail), time, cancellation);
        }
        finally
        {
            await sampling.CancelAsync();
            await samples;
        }
        result.Log = [.. log.Select(r => r.Shard is { } shard && sampler.Gpus.TryGetValue(shard, out var gpu) ? r with { Gpu = gpu } : r)];
        result.Samples = sampler.Samples;
        result.FailedSamples = sampler.FailedReads;
        result.Decisions = sampler.Decisions;
        result.Loads = sampler.Loads;
        result.Figures = ReplayFigures.Of(result.Log, sampler.Samples, slo);
        return result;
    }

    private async Task Sample(ClusterSampler sampler, CancellationToken stop, ReplayCounters counters, long origin, Action<ReplayCounters, ClusterSample?, double>? onTick)
    {
        using var timer = new PeriodicTimer(ClusterSampler.Interval, time);
        try
        {
            do
            {
                await sampler.Sample(stop);
                onTick?.Invoke(counters, sampler.Latest, time.GetElapsedTime(origin).TotalSeconds);
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        // One more, so the GPU-seconds run to the end of the replay.
        await sampler.Sample(CancellationToken.None);
    }

    /// <summary>The request of one arrival: exactly its prompt length (BOS included), its output count, EOS ignored.</summary>
    public GenerateRequest Request(ReplayArrival arrival) => new()
    {
        PromptIds = _prompts.Prompt(arrival.Index, arrival.PromptTokens), MaxTokens = arrival.OutputTokens, StopAtEos = false,
    };
}
