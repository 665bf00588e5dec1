using BlitzScale.Cli.Replay;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Replay;

/// <summary>Windows, their peak-to-mean, the bursty choice, time scaling and token caps.</summary>
public sealed class TraceWindowTests
{
    // 1 request a second for 20 s, then 10 in the 21st second, then 1 a second again to 40 s.
    private static Trace Steady_then_burst()
    {
        var times = Enumerable.Range(0, 20).Select(i => (double)i)
            .Concat(Enumerable.Range(0, 10).Select(i => 20 + i * 0.05))
            .Concat(Enumerable.Range(21, 19).Select(i => (double)i));
        return new Trace("t", TraceFormat.Azure, [.. times.Order().Select((t, i) => new TraceRequest(i + 2, t, 100 + i, 10))], 0);
    }

    [Fact]
    public void A_window_keeps_the_requests_inside_it_rebased_to_its_start_with_its_peak_to_mean()
    {
        var trace = Steady_then_burst();

        var window = TraceWindow.At(trace, 18, 4, "given");
        var slice = TraceWindow.Slice(trace, 18, 4);

        // 18, 19, ten in [20, 21), 21: 13 requests in 4 s; the peak second holds 10.
        Assert.Equal(13, window.Requests);
        Assert.Equal(13, slice.Count);
        Assert.Equal(0, slice[0].AtSeconds);
        Assert.Equal(3.25, window.MeanRps);
        Assert.Equal(10, window.PeakRps);
        Assert.Equal(Math.Round(10 / 3.25, 3), window.PeakToMean);
    }

    [Fact]
    public void The_bursty_window_is_the_one_holding_the_burst_and_says_how_it_was_chosen()
    {
        var window = TraceWindow.Bursty(Steady_then_burst(), 5, 5);

        Assert.Equal(20, window.StartSeconds);
        Assert.Equal(14, window.Requests);
        Assert.Contains("highest peak-to-mean", window.Chosen);
    }

    [Fact]
    public void A_time_scale_shrinks_every_gap_alike_and_a_rate_picks_the_scale()
    {
        var trace = Steady_then_burst();
        var window = TraceWindow.At(trace, 0, 40, "given");
        var caps = new TokenCaps(1000, 1000);

        var half = ReplaySchedule.Build(TraceWindow.Slice(trace, 0, 40), 40, 0.5, caps);
        double scale = ReplaySchedule.ScaleForRate(window, 2 * window.MeanRps);

        Assert.Equal(trace.Requests.Select(r => r.AtSeconds / 2), half.Arrivals.Select(a => a.AtSeconds));
        Assert.Equal(20, half.DurationSeconds);
        Assert.Equal(0.5, scale, 9);
        Assert.Throws<ArgumentException>(() => ReplaySchedule.Build([], 1, 0, caps));
    }

    [Fact]
    public void Caps_fit_the_counts_to_the_model_and_are_counted()
    {
        var caps = TokenCaps.For(512, maxPrompt: null, maxOutput: null);
        var requests = new[] { new TraceRequest(2, 0, 4808, 10), new TraceRequest(3, 1, 50, 600), new TraceRequest(4, 2, 0, 0) };

        var schedule = ReplaySchedule.Build(requests, 3, 1, caps);

        Assert.Equal((384, 128), (caps.MaxPromptTokens, caps.MaxOutputTokens));
        Assert.Equal([384, 50, 1], schedule.Arrivals.Select(a => a.PromptTokens));
        Assert.Equal([10, 128, 1], schedule.Arrivals.Select(a => a.OutputTokens));
        Assert.Equal((1, 1), (schedule.PromptsCapped, schedule.OutputsCapped));
        // Scaled by 0.25 first: 50 → 12.5 → 13 (half away from zero), 600 → 150, then capped to 128.
        var scaled = ReplaySchedule.Build([requests[1]], 1, 1, TokenCaps.For(512, null, null, scale: 0.25)).Arrivals[0];
        Assert.Equal((13, 128), (scaled.PromptTokens, scaled.OutputTokens));
        Assert.Throws<ArgumentException>(() => TokenCaps.For(512, 500, 100));
    }

    [SkippableFact]
    public void The_bursty_window_of_the_azure_code_trace_is_far_burstier_than_the_trace_on_average()
    {
        string? path = RepositoryPaths.Shared("traces", "azure2023", "AzureLLMInferenceTrace_code.csv");
        Skip.If(path is null, RepositoryPaths.Missing("traces", "azure2023", "AzureLLMInferenceTrace_code.csv"));
        var trace = TraceReader.Read(path!);

        var bursty = TraceWindow.Bursty(trace, 60, 15);
        var whole = TraceWindow.At(trace, 0, null, "all");

        Assert.True(bursty.MeanRps >= trace.Requests.Count / trace.SpanSeconds);
        Assert.True(bursty.PeakToMean > 3, $"peak-to-mean {bursty.PeakToMean}");
        Assert.True(whole.PeakRps >= bursty.PeakRps);
    }
}
