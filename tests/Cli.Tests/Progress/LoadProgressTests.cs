using BlitzScale.Cli.Progress;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Tests.Progress;

public sealed class LoadProgressTests
{
    private static ModelEvent Event(ModelEventKind kind, string shard, int layers = 0, long bytes = 0, double ms = 0, string? detail = null) => new()
    {
        Kind = kind, Model = "m", Shard = shard, Gpu = "h/gpu0", LoadedLayers = layers, TotalLayers = 7, Bytes = bytes, TotalBytes = 7_000_000,
        ElapsedMs = ms, Detail = detail,
    };

    [Fact]
    public void Layers_and_bytes_accumulate_and_give_the_rate_since_the_load_began()
    {
        var progress = new LoadProgress([("m/1/0", "h/gpu0")]);

        progress.Apply(Event(ModelEventKind.TransferProgress, "m/1/0", layers: 1, bytes: 1_500_000, ms: 500));
        var load = progress.Apply(Event(ModelEventKind.LayerReady, "m/1/0", layers: 2, bytes: 2_000_000, ms: 1000))!;

        Assert.Equal((2, 7, 2_000_000L, 7_000_000L), (load.LoadedLayers, load.TotalLayers, load.Bytes, load.TotalBytes));
        Assert.Equal(2_000_000, load.BytesPerSecond);
        Assert.False(progress.Done);
    }

    [Fact]
    public void A_late_byte_report_never_moves_an_instance_backwards()
    {
        var progress = new LoadProgress([("m/1/0", "h/gpu0")]);
        progress.Apply(Event(ModelEventKind.LayerReady, "m/1/0", layers: 3, bytes: 3_000_000, ms: 900));

        var load = progress.Apply(Event(ModelEventKind.TransferProgress, "m/1/0", layers: 2, bytes: 2_500_000, ms: 800))!;

        Assert.Equal((3, 3_000_000L, 900.0), (load.LoadedLayers, load.Bytes, load.ElapsedMs));
    }

    [Fact]
    public void Done_once_every_followed_instance_serves_or_failed_and_later_events_are_ignored()
    {
        var progress = new LoadProgress([("m/1/0", "a/gpu0"), ("m/2/0", "b/gpu0")]);

        var served = progress.Apply(Event(ModelEventKind.Serving, "m/1/0", ms: 1200, detail: "from a/gpu0"))!;
        Assert.False(progress.Done);
        var failed = progress.Apply(Event(ModelEventKind.Failed, "m/2/0", detail: "out of memory"))!;

        Assert.True(progress.Done);
        Assert.Equal(("Serving", 7, 7_000_000L, "from a/gpu0"), (served.Outcome, served.LoadedLayers, served.Bytes, served.Detail));
        Assert.Equal(("Failed", "out of memory"), (failed.Outcome, failed.Detail));
        Assert.Null(progress.Apply(Event(ModelEventKind.LayerReady, "m/2/0", layers: 1)));
    }

    [Fact]
    public void Events_of_other_instances_and_model_wide_events_are_not_followed()
    {
        var progress = new LoadProgress([("m/1/0", "h/gpu0")]);

        Assert.Null(progress.Apply(Event(ModelEventKind.LayerReady, "m/0/0", layers: 1)));
        Assert.Null(progress.Apply(Event(ModelEventKind.Planned, "", detail: "1 target(s) in 1 chain(s)")));
        Assert.Null(progress.Apply(Event(ModelEventKind.Warm, "m/1/0")));
        Assert.Equal(0, Assert.Single(progress.Instances).LoadedLayers);
    }
}
