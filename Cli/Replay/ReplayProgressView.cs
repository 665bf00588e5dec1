using System.Globalization;
using Spectre.Console;

namespace BlitzScale.Cli.Replay;

/// <summary>
/// The progress of a replay: a bar of requests sent with the counters and the instances per state on a terminal, a plain
/// line every <see cref="PlainEvery"/> when output is redirected.
/// </summary>
internal static class ReplayProgressView
{
    public static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(5);

    /// <summary>One line: time, requests sent / in flight / ended, instances per state, GPUs holding one.</summary>
    public static string Describe(double elapsedS, double durationS, int total, ReplayCounters counters, ClusterSample? sample) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{elapsedS:F1}/{durationS:F1} s: sent {counters.SentCount}/{total}, in flight {counters.InFlight}, ok {counters.OkCount}, failed {counters.FailedCount}, lost {counters.LostCount}") +
        (sample is null ? "" : $"; instances {(sample.Instances.Count == 0 ? "none" : string.Join(" ", sample.Instances.Select(p => $"{p.Key}={p.Value}")))}, GPUs {sample.GpusHolding}");

    /// <summary>
    /// Runs <paramref name="replay"/> (given the tick callback to feed) with a progress bar on an interactive terminal, or with
    /// a line on <paramref name="plain"/> every few seconds otherwise.
    /// </summary>
    public static async Task<T> Show<T>(double durationS, int total, TextWriter plain, Func<Action<ReplayCounters, ClusterSample?, double>, Task<T>> replay)
    {
        if (!Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            return await AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask("replay", maxValue: Math.Max(1, total));
                    return await replay((counters, sample, at) =>
                    {
                        task.Value = counters.SentCount;
                        task.Description = Markup.Escape(Describe(at, durationS, total, counters, sample));
                    });
                });
        }
        double next = 0;
        return await replay((counters, sample, at) =>
        {
            if (at < next) return;
            next = at + PlainEvery.TotalSeconds;
            plain.WriteLine($"replay: {Describe(at, durationS, total, counters, sample)}");
        });
    }
}
