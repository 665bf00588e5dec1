using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Replay;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>bench chaos's figures from two hand-made request logs: lost, failed, resumed and differing counted, the ratios of the hit loads.</summary>
public sealed class ChaosFiguresTests
{
    private static ReplayRequest Request(int i, ReplayOutcome outcome, int[] ids, int resumes = 0, string? error = null) =>
        new(i, i + 2, i, i, 16, 4, [.. ids.Select((_, k) => i + 0.1 * (k + 1))], i + 1, $"m/{i % 2}/0", outcome, error) { TokenIds = ids, Resumes = resumes };

    private static readonly ReplayRequest[] Reference =
    [
        Request(0, ReplayOutcome.Ok, [5, 6, 7, 8]),
        Request(1, ReplayOutcome.Ok, [9, 9, 9, 9]),
        Request(2, ReplayOutcome.Ok, [1, 2, 3, 4]),
        Request(3, ReplayOutcome.Ok, [4, 3, 2, 1]),
        Request(4, ReplayOutcome.Lost, [7], error: "still open"),
        Request(5, ReplayOutcome.Ok, [1, 1, 1, 1]),
        Request(6, ReplayOutcome.Ok, [2, 2, 2, 2]),
    ];

    private static readonly ReplayRequest[] Faulty =
    [
        Request(0, ReplayOutcome.Ok, [5, 6, 7, 8], resumes: 1) with { ResumeReasons = ["instance m/1/0 stopped under the request: its host h2 left the cluster"] },
        Request(1, ReplayOutcome.Ok, [9, 9, 0, 9], resumes: 2) with         // resumed twice, differs at token 2
        {
            ResumeReasons = ["instance m/1/0 stopped under the request: its host h2 left the cluster", "instance m/3/0 stopped under the request: the instance was unloaded"],
        },
        Request(2, ReplayOutcome.Ok, [1, 2, 3, 4]),
        Request(3, ReplayOutcome.Failed, [], error: "InvalidOperationException: instance m/1/0 was lost after 12 token(s)"),
        Request(4, ReplayOutcome.Ok, [7, 7, 7, 7]),                      // not compared: the reference lost it
        Request(5, ReplayOutcome.Failed, [], error: "InvalidOperationException: instance m/3/0 was lost after 7 token(s)"),
        Request(7, ReplayOutcome.Failed, [], error: "InvalidOperationException: request \"0f3d89fb\": the live partner could not run layers [2, 12)"),
        Request(8, ReplayOutcome.Failed, [], error: "InvalidOperationException: request \"c1e2\": the live partner could not run layers [3, 12)"),
        Request(6, ReplayOutcome.Lost, [2], error: "still open when the drain time ran out, after 1 of 4 tokens"),
    ];

    private static ChaosLoad Load(int order, double? seconds, bool killed) =>
        new() { Order = order, Kind = "scale-up from one peer GPU", Gpu = "h4/gpu0", Source = "h2/gpu0", Seconds = seconds, SourceKilled = killed };

    [Fact]
    public void Each_request_is_counted_once_and_only_requests_completed_in_both_runs_are_compared()
    {
        var figures = ChaosFigures.Of(Reference, Faulty, [], []);

        Assert.Equal((9, 4, 4, 1), (figures.Sent, figures.Completed, figures.Failed, figures.LostRequests));
        Assert.Equal((2, 3), (figures.Resumed, figures.Resumes));
        // Requests 0 and 1 resumed: tokens 0.1 s apart after a start 0.1 s before the first.
        Assert.Equal(new ChaosPause(0.1, 0.1, 2), figures.ResumedPauseSeconds);
        Assert.Equal(new Dictionary<string, int>
        {
            ["instance m/#/# stopped under the request: its host h# left the cluster"] = 2,
            ["instance m/#/# stopped under the request: the instance was unloaded"] = 1,
        }, figures.ResumeReasons);
        Assert.Equal((3, 1), (figures.Compared, figures.DifferingOutputs));
        Assert.Equal(["request 1: token 2 is 0, the reference's 9"], figures.DifferingExamples);
        Assert.Equal(1, figures.ReferenceNotCompleted);
        // Reasons group with their numbers blanked out.
        Assert.Equal(new Dictionary<string, int>
        {
            ["InvalidOperationException: instance m/#/# was lost after # token(s)"] = 2,
            ["InvalidOperationException: request \"…\": the live partner could not run layers [#, #)"] = 2,
        }, figures.FailedReasons);
        Assert.Equal(new Dictionary<string, int> { ["still open when the drain time ran out, after # of # tokens"] = 1 }, figures.LostReasons);
        Assert.False(figures.Clean);
    }

    [Fact]
    public void A_requests_longest_wait_is_before_its_first_token_or_between_two()
    {
        ReplayRequest Timed(double start, double[] tokens, double end) => new(0, 1, start, start, 16, tokens.Length, tokens, end, "m/0/0", ReplayOutcome.Ok, null) { Resumes = 1 };

        Assert.Equal(2.0, ChaosFigures.LongestPause(Timed(1, [3, 3.1, 3.2], 3.2)), 9);
        // Stood still 31.7 s between two tokens while its silo was dead (bench chaos before 6 December's watch).
        Assert.Equal(31.7, ChaosFigures.LongestPause(Timed(15.6, [15.9, 18.3, 50.0, 50.1], 50.1)), 9);
        Assert.Equal(4.0, ChaosFigures.LongestPause(Timed(1, [], 5)), 9);
        var pause = ChaosPause.Of([3.0, 1.0, 31.7, 2.0])!;
        Assert.Equal((2.5, 31.7, 4), (pause.Median, pause.Max, pause.Requests));
        Assert.Null(ChaosPause.Of([]));
    }

    [Fact]
    public void A_stream_that_ends_more_than_a_second_after_its_last_token_counts_as_ended_late()
    {
        ReplayRequest Ended(int i, double lastToken, double end) =>
            new(i, i, 0, 0, 16, 2, [lastToken - 0.1, lastToken], end, "m/0/0", ReplayOutcome.Ok, null) { TokenIds = [1, 2] };
        ReplayRequest[] log = [Ended(0, 5, 5.02), Ended(1, 5, 7.0), Ended(2, 5, 6.0), Ended(3, 8, 38.5), Request(4, ReplayOutcome.Failed, [], error: "lost")];

        var figures = ChaosFigures.Of(log, log, [], []);

        // 2.0 s and 30.5 s after; 1.0 s is the bound itself, and a failed request has no last token.
        Assert.Equal(2, figures.EndedLate);
        Assert.Equal(30.5, figures.EndedLateMaxSeconds);
        var onTime = ChaosFigures.Of(Reference, Reference, [], []);
        Assert.Equal(0, onTime.EndedLate);
        Assert.Null(onTime.EndedLateMaxSeconds);
    }

    [Fact]
    public void A_run_equal_to_the_reference_is_clean()
    {
        var figures = ChaosFigures.Of(Reference, Reference, [], []);

        // The reference's own lost request is lost here too: the same log is not clean, only one without it is.
        Assert.Equal((1, 0, 0, 6), (figures.LostRequests, figures.Failed, figures.DifferingOutputs, figures.Compared));
        Assert.False(figures.Clean);
        var clean = ChaosFigures.Of(Reference.Where(r => r.Outcome == ReplayOutcome.Ok).ToList(), Reference.Where(r => r.Outcome == ReplayOutcome.Ok).ToList(), [], []);
        Assert.True(clean.Clean);
    }

    [Fact]
    public void A_shorter_output_differs_too()
    {
        var figures = ChaosFigures.Of([Request(0, ReplayOutcome.Ok, [1, 2, 3, 4])], [Request(0, ReplayOutcome.Ok, [1, 2, 3])], [], []);

        Assert.Equal(1, figures.DifferingOutputs);
        Assert.Equal(["request 0: 3 tokens, the reference's 4"], figures.DifferingExamples);
    }

    [Fact]
    public void A_hit_load_is_divided_by_the_median_of_the_reference_loads_of_its_kind()
    {
        ChaosLoad[] reference = [Load(1, 4, false), Load(2, 6, false), Load(3, 10, false), Load(4, null, false)];
        ChaosLoad[] faulty = [Load(1, 7.5, true), Load(2, 5, false), Load(3, null, true)];

        var figures = ChaosFigures.Of([], [], reference, faulty);

        // Only the loads whose source was killed; the median of 4, 6 and 10 (the unfinished reference load left out) is 6.
        Assert.Equal(2, figures.LoadTimeRatios.Count);
        var hit = figures.LoadTimeRatios[0];
        Assert.Equal((1, 6.0, 3, 1.25, true), (hit.Order, hit.ReferenceMedianSeconds!.Value, hit.ReferenceLoads, hit.Ratio!.Value, hit.GoalMet!.Value));
        // A hit load that never finished has no ratio, and the run is not clean.
        Assert.Null(figures.LoadTimeRatios[1].Ratio);
        Assert.False(figures.Clean);
        // An even count takes the mean of the middle two; a ratio over 1.5 misses the goal.
        var even = ChaosFigures.Of([], [], [Load(1, 4, false), Load(2, 6, false)], [Load(1, 8, true)]);
        Assert.Equal((5.0, 1.6, false), (even.LoadTimeRatios[0].ReferenceMedianSeconds!.Value, even.LoadTimeRatios[0].Ratio!.Value, even.LoadTimeRatios[0].GoalMet!.Value));
    }
}
