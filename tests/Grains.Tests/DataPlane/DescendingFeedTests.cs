using BlitzScale.Grains.DataPlane;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Telemetry;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlitzScale.Grains.Tests.DataPlane;

/// <summary>
/// A descending feed lands its blobs last first (the head and the last layers before the embedding), from a peer and from
/// storage alike, byte for byte as an ascending one; the image's loaded suffix grows as they land.
/// </summary>
public sealed class DescendingFeedTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TinyModelFiles _model = new();
    private ModelDirectory Files => _model.Files;

    [Fact]
    public void A_descending_feed_is_one_fetch_a_blob_from_its_last_and_only_its_first_keeps_the_offset()
    {
        var feed = new LoadFeed(FeedKind.Network, "h1/memory", "h1:1", "m@h1/memory", 2, 5, "Network", FirstBlobOffset: 4096, Descending: true);
        var fetches = ImageFill.Blobs(feed, Files.Layout).ToList();
        Assert.Equal([4, 3, 2], fetches.Select(f => f.FirstBlob));
        Assert.All(fetches, f => Assert.Equal((f.FirstBlob + 1, false), (f.EndBlob, f.Descending)));
        Assert.Equal([0, 0, 4096], fetches.Select(f => f.FirstBlobOffset));
        // Cut to what the image lacks, a descending feed stays descending.
        using var image = ParameterImage.Allocate(Files.Layout);
        image.MarkLoaded(3);
        Assert.All(ImageFill.Missing([feed with { FirstBlobOffset = 0 }], image), f => Assert.True(f.Descending));
    }

    [Theory]
    [InlineData(FeedKind.SameHost)]
    [InlineData(FeedKind.Storage)]
    public async Task A_descending_feed_lands_every_blob_last_first_with_the_loaded_suffix_growing(FeedKind kind)
    {
        var layout = Files.Layout;
        int blobs = layout.Blobs.Count, layers = layout.NumLayers;
        using var source = ParameterImage.Allocate(layout);
        for (int b = 0; b < blobs; b++)
        {
            ImageLoader.LoadBlob(Files.Checkpoint, source, b);
            source.MarkLoaded(b);
        }
        using var target = ParameterImage.Allocate(layout);
        await using var plane = new HostDataPlane(new GpuHostOptions { Host = "h1", ClusterSecret = "descending-test-secret-0123456789" },
            new BlitzMetrics(), NullLogger<HostDataPlane>.Instance);
        plane.Register("copy", new ImageSource(source));
        var feed = kind == FeedKind.Storage
            ? ImageFill.FromStorage(layout)[0] with { Descending = true }
            : new LoadFeed(FeedKind.SameHost, "h1/memory", "copy", "copy", 0, blobs, "HostToDevice", Descending: true);

        var landed = new List<int>();
        var suffixes = new List<int>();
        await ImageFill.RunAsync([feed], new ImageSink(target), Files, plane, null, blob =>
        {
            landed.Add(blob);
            suffixes.Add(target.LoadedLayerSuffix);
        }, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(Enumerable.Range(0, blobs).Reverse(), landed);
        // The head first: the suffix starts there (no layer yet), then takes a layer a blob; the embedding adds none.
        Assert.Equal([layers, .. Enumerable.Range(0, layers).Reverse(), 0], suffixes);
        Assert.Equal(layers, target.LoadedLayerPrefix);
        for (int b = 0; b < blobs; b++) Assert.Equal(source.BlobBytes(b).ToArray(), target.BlobBytes(b).ToArray());
    }

    public void Dispose() => _model.Dispose();
}
