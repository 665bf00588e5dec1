using BlitzScale.Grains.DataPlane;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.DataPlane;

/// <summary>A load planned again after a lost source fetches only the blobs its image lacks: each feed cut to its missing runs.</summary>
public sealed class ImageFillMissingTests : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly ModelDirectory _files;

    public ImageFillMissingTests()
    {
        string directory = _root.File("tiny");
        SyntheticModelWriter.Write(directory, SyntheticShapes.Get("tiny"), DType.F32, GridFixture.SyntheticSeed);
        _files = ModelDirectory.Open(directory);
    }

    [Fact]
    public void Each_feed_is_cut_to_the_runs_of_blobs_not_yet_loaded()
    {
        using var image = ParameterImage.Allocate(_files.Layout);
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

    public void Dispose()
    {
        _files.Dispose();
        _root.Dispose();
    }
}
