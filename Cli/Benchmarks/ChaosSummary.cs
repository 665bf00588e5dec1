using System.Globalization;
using System.Text;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>The readable summary of a <c>bench chaos</c> report that goes to stdout (the JSON goes to --json).</summary>
internal static class ChaosSummary
{
    public static string Of(ChaosReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        void Line(string line) => text.AppendLine(line);
        var c = CultureInfo.InvariantCulture;
        Line($"bench chaos: {report.Hosts} hosts × {report.GpusPerHost} GPU(s) at {report.LinkMbit} Mbit/s; {report.Backend}");
        if (report.Setting is { } setting) Line($"window: {setting.Describe()}");
        Line($"deployment: {report.Deployment}");
        Line($"fault seed {report.FaultSeed}; faults applied (seconds from the replay's start):");
        foreach (var f in report.Faults)
        {
            Line(string.Create(c, $"  {f.Order}. {f.Fault,-12} at {f.AtS?.ToString("0.0", c) ?? "-"} s (planned {f.PlannedAtS:0.0}), back at {f.RestoredAtS?.ToString("0.0", c) ?? "-"} s, host {f.Host ?? "-"}") +
                (f.DegradedMbit is { } m ? $", {m} Mbit/s" : "") + $": {f.Hit ?? "-"}" + (f.Error is { } e ? $" — NOT AS PLANNED: {e}" : ""));
        }
        if (report.Figures is { } fig)
        {
            Line("");
            Line("| sent | completed | failed | lost | resumed | compared | differing |");
            Line("| --- | --- | --- | --- | --- | --- | --- |");
            Line($"| {fig.Sent} | {fig.Completed} | {fig.Failed} | {fig.LostRequests} | {fig.Resumed} ({fig.Resumes} moves) | {fig.Compared} | {fig.DifferingOutputs} |");
            if (fig.ResumedPauseSeconds is { } pause)
                Line(string.Create(c, $"resumed requests' longest wait (start to first token, or between tokens): median {pause.Median:0.00} s, max {pause.Max:0.00} s over {pause.Requests}"));
            foreach (var (reason, count) in fig.ResumeReasons) Line($"moved ×{count}: {reason}");
            Line(string.Create(c, $"streams that ended more than {ChaosFigures.LateEndSeconds:0.#} s after their last token: {fig.EndedLate}")
                + (fig.EndedLateMaxSeconds is { } late ? string.Create(c, $" (the latest {late:0.00} s after)") : "")
                + (report.HandBacks.TryGetValue("faulty", out var handBacks)
                    ? $"; ticket hand-backs joined by a second try: {handBacks.SecondTries}, past the wait limit: {handBacks.PastLimit}" : ""));
            foreach (var (reason, count) in fig.FailedReasons) Line($"failed ×{count}: {reason}");
            foreach (var (reason, count) in fig.LostReasons) Line($"lost ×{count}: {reason}");
            foreach (string example in fig.DifferingExamples) Line($"differs: {example}");
            if (fig.ReferenceNotCompleted > 0) Line($"the reference run left {fig.ReferenceNotCompleted} request(s) not completed (not compared)");
            foreach (var r in fig.LoadTimeRatios)
            {
                Line(string.Create(c, $"load {r.Order} ({r.Kind}) onto {r.Gpu} from {r.Source}, source killed: {r.Seconds?.ToString("0.00", c) ?? "unfinished"} s ") +
                    string.Create(c, $"against {r.ReferenceMedianSeconds?.ToString("0.00", c) ?? "-"} s without the fault (median of {r.ReferenceLoads}): ratio {r.Ratio?.ToString("0.###", c) ?? "-"} (goal ≤ {ChaosFigures.GoalLoadTimeRatio})"));
            }
        }
        foreach (var run in new[] { report.Reference, report.Faulty })
        {
            if (run?.Figures is { } f)
            {
                Line(string.Create(c, $"{run.ModelName}: TTFT p50 {f.TtftMs?.P50:F0} p99 {f.TtftMs?.P99:F0} ms, TBT p99 {f.TbtMs?.P99:F0} ms, {f.GpuSeconds:F1} GPU-s, failed {f.Failed}, lost {f.Lost}") +
                    (run.Error is { } e ? $" — {e}" : ""));
            }
            else if (run?.Error is { } e)
            {
                Line($"{run.ModelName}: stopped: {e}");
            }
        }
        if (report.Error is { } error) Line($"stopped: {error}");
        Line(report.Failed ? "result: FAILED (lost, failed or differing requests, a fault not applied as planned, or a stopped run)" : "result: ok — nothing lost, failed or different");
        return text.ToString();
    }
}
