using BlitzScale.Grains.DataPlane;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;

namespace BlitzScale.Grains.Tests.DataPlane;

/// <summary>A load planned again after a lost source fetches only the blobs its image lacks: each feed cut to its missing runs.</summary>
public sealed class ImageFillMissingTests : IDisposable
{
    private readonly TinyModelFiles _model = new();
    private ModelDirectory Files => _model.Files;

    [Fact]
    public void Each_feed_is_cut_to_the_runs_of_blobs_not_yet_loaded()
    {
        using var image = ParameterImage.Allocate(Files.Layout);
        int blobs = image.Layout.Blobs.Count;
        Assert.True(blobs >= 5, $"the tiny model has {blobs} blobs");
        var a = new LoadFeed(FeedKind.Network, "h1/gpu0", "h1:1", "m/0/0", 0, 3, "Network");
        var b = new LoadFeed(FeedKind.SameHost, "h2/memory", "m@h2/memory", "m@h2/memory", 3, blobs, "HostToDevice");
        Assert.Equal([a, b], ImageFill.Missing([a, b], image));

        // Blobs 0 and 2 landed before the source was lost; 3 came from the other feed.
        image.MarkLoaded(0);
        image.MarkLoaded(2);
        image.MarkLoaded(3);
        Assert.Equal([a with { FirstBlob = 1, EndBlob = 2 }, b with { FirstBlob = 4 }], ImageFill.Missing([a, b], image));

        for (int blob = 0; blob < blobs; blob++) image.MarkLoaded(blob);
        Assert.Empty(ImageFill.Missing([a, b], image));
    }

    [Fact]
    public void A_blob_half_landed_before_its_source_was_lost_yields_a_feed_for_its_second_half_only()
    {
        using var image = ParameterImage.Allocate(Files.Layout);
        int blobs = image.Layout.Blobs.Count;
        var a = new LoadFeed(FeedKind.Network, "h1/gpu0", "h1:1", "m/0/0", 0, blobs, "Network");
        image.MarkLoaded(0);
        image.MarkLoaded(1);
        long half = image.Layout.Blobs[2].ByteLength / 2;
        var kept = new long[blobs];
        kept[0] = image.Layout.Blobs[0].ByteLength;
        kept[1] = image.Layout.Blobs[1].ByteLength;
        kept[2] = half;

        Assert.Equal([a with { FirstBlob = 2, FirstBlobOffset = half }], ImageFill.Missing([a], image, kept));
        // Whole blobs only (the image alone): the half blob is fetched again whole.
        Assert.Equal([a with { FirstBlob = 2 }], ImageFill.Missing([a], image));

        // A partly held blob inside a run of missing ones starts a feed of its own; so does one at the start of a later feed.
        var b = new LoadFeed(FeedKind.SameHost, "h2/memory", "m@h2/memory", "m@h2/memory", 4, blobs, "HostToDevice");
        var front = a with { EndBlob = 4 };
        kept[3] = 4096;
        kept[4] = 8192;
        Assert.Equal(
            [front with { FirstBlob = 2, EndBlob = 3, FirstBlobOffset = half }, front with { FirstBlob = 3, FirstBlobOffset = 4096 }, b with { FirstBlobOffset = 8192 }],
            ImageFill.Missing([front, b], image, kept));
        Assert.Throws<ArgumentException>(() => ImageFill.Missing([a], image, new long[blobs - 1]));
    }

    [Fact]
    public void Storage_fills_a_half_landed_blob_from_its_first_missing_byte_and_leaves_the_landed_half_as_it_is()
    {
        using var image = ParameterImage.Allocate(Files.Layout);
        int blob = 2;
        int length = (int)image.Layout.Blobs[blob].ByteLength;
        int half = length / 2;
        using var reference = ParameterImage.Allocate(Files.Layout);
        ImageLoader.LoadBlob(Files.Checkpoint, reference, blob);
        // The landed half holds marks that a reread would overwrite.
        image.BlobBytes(blob)[..half].Fill(0x5A);
        var kept = new long[image.Layout.Blobs.Count];
        kept[blob] = half;
        var sink = new BlitzScale.Native.Transport.ImageSink(image, kept);
        var landed = new List<int>();

        long bytes = ImageFill.LoadFromFiles(Files, sink, blob, blob + 1, null, landed.Add, CancellationToken.None, firstBlobOffset: half);

        Assert.Equal(length - half, bytes);
        Assert.Equal([blob], landed);
        Assert.True(image.IsLoaded(blob));
        Assert.True(image.BlobBytes(blob)[half..].SequenceEqual(reference.BlobBytes(blob)[half..]));
        Assert.All(image.BlobBytes(blob)[..half].ToArray(), x => Assert.Equal(0x5A, x));
    }

    public void Dispose() => _model.Dispose();
}
