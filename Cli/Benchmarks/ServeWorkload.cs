using System.Collections.Concurrent;
using System.Diagnostics;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// The requests of <c>blitz bench serve</c>, and the closed-loop driver that plays them against any
/// streaming generate function with a fixed concurrency, recording TTFT and time between tokens.
/// </summary>
internal sealed class ServeWorkload(int requests, int concurrency, int promptTokens, int maxTokens, int vocab, int seed = 1)
{
    public int Requests { get; } = requests;
    public int Concurrency { get; } = concurrency;
    public int PromptTokens { get; } = promptTokens;
    public int MaxTokens { get; } = maxTokens;

    /// <summary>Prompt ids of request <paramref name="i"/>: BOS then ordinary tokens, the same every run.</summary>
    public int[] Prompt(int i, int length)
    {
        var random = new Random(seed * 100_003 + i);
        return [1, .. Enumerable.Range(0, length - 1).Select(_ => random.Next(Math.Min(259, vocab - 1), vocab))];
    }

    /// <summary>
    /// Runs every request through <paramref name="generate"/> (prompt, max tokens → a stream of token-arrival
    /// callbacks), <see cref="Concurrency"/> at a time.
    /// </summary>
    public async Task<RunResult> Run(Func<int[], int, Func<Task>, Task> generate)
    {
        var ttft = new ConcurrentBag<double>();
        var tbt = new ConcurrentBag<double>();
        var e2e = new ConcurrentBag<double>();
        var after = new ConcurrentBag<double>();
        var firstStarts = new ConcurrentBag<double>();
        long tokens = 0;
        int next = -1;
        var clock = Stopwatch.StartNew();
        async Task Worker()
        {
            int i;
            bool first = true;
            while ((i = Interlocked.Increment(ref next)) < Requests)
            {
                var start = clock.Elapsed.TotalMilliseconds;
                if (first) firstStarts.Add(start);
                first = false;
                double previous = -1;
                await generate(Prompt(i, PromptTokens), MaxTokens, () =>
                {
                    double now = clock.Elapsed.TotalMilliseconds;
                    if (previous < 0) ttft.Add(now - start);
                    else tbt.Add(now - previous);
                    previous = now;
                    Interlocked.Increment(ref tokens);
                    return Task.CompletedTask;
                });
                double end = clock.Elapsed.TotalMilliseconds;
                e2e.Add(end - start);
                if (previous >= 0) after.Add(end - previous);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(Worker)));
        double seconds = clock.Elapsed.TotalSeconds;
        return new RunResult(Math.Round(tokens / seconds, 1), tokens, Math.Round(seconds, 3), Percentiles.Of(ttft), Percentiles.Of(tbt),
            Percentiles.Of(e2e), Percentiles.Of(after), Math.Round(e2e.Sum() / 1e3 / (Concurrency * seconds), 3), Percentiles.Of(firstStarts));
    }

    /// <summary>
    /// Latency of one-token requests, one at a time, alternating between two paths so both see the same
    /// machine: each path's p50 and the p50 of the paired differences (second minus first), which is what the
    /// second path adds per request.
    /// </summary>
    public async Task<PairedLatency> OneTokenLatency(Func<int[], int, Func<Task>, Task> first, Func<int[], int, Func<Task>, Task> second, int pairs)
    {
        var a = new List<double>(pairs);
        var b = new List<double>(pairs);
        for (int i = 0; i < pairs; i++)
        {
            a.Add(await Time(first, i));
            b.Add(await Time(second, i));
        }
        return new PairedLatency(Percentiles.Of(a), Percentiles.Of(b), Percentiles.Of(a.Zip(b, (x, y) => y - x).ToList()));
    }

    /// <summary>Runs <paramref name="requests"/> short requests at once through <paramref name="generate"/>, unmeasured (JIT, connections, first touch).</summary>
    public Task Warm(Func<int[], int, Func<Task>, Task> generate, int requests) =>
        Task.WhenAll(Enumerable.Range(0, requests).Select(i => generate(Prompt(i, 8), 4, () => Task.CompletedTask)));

    private async Task<double> Time(Func<int[], int, Func<Task>, Task> generate, int i)
    {
        long start = Stopwatch.GetTimestamp();
        await generate(Prompt(i, 8), 1, () => Task.CompletedTask);
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
}

/// <summary>One-token latencies of two paths measured in alternation, and what the second adds.</summary>
internal sealed record PairedLatency(Percentiles FirstMs, Percentiles SecondMs, Percentiles AddedMs);

/// <summary>One closed-loop run.</summary>
/// <param name="E2eMs">Request start to the end of its stream.</param>
/// <param name="AfterLastTokenMs">Last token to the end of its stream (what a closed-loop client waits before its next request).</param>
/// <param name="ClientOccupancy">Share of the run each client spent inside a request.</param>
/// <param name="FirstStartMs">When the clients sent their first request, from the run's start.</param>
internal sealed record RunResult(double TokensPerSecond, long Tokens, double Seconds, Percentiles TtftMs, Percentiles TbtMs,
    Percentiles? E2eMs = null, Percentiles? AfterLastTokenMs = null, double ClientOccupancy = 0, Percentiles? FirstStartMs = null);
