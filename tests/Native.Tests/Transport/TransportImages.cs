using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Transport;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>Small parameter images with seeded random bytes, and the secret the test cluster shares.</summary>
internal static class TransportImages
{
    public const string Model = "tiny";

    /// <summary>The smallest chunk: the tiny image is then tens of chunks, several per blob.</summary>
    public const int SmallChunk = TransferRequest.MinChunkBytes;

    public static readonly byte[] Secret = [.. Enumerable.Range(1, 32).Select(i => (byte)(i * 7))];

    public static ImageLayout Layout(string shape = "tiny", DType dtype = DType.F32)
    {
        var config = SyntheticShapes.Get(shape);
        var shapes = ModelTensors.All(config).ToDictionary(t => t.Name, t => t.Shape);
        return ImageLayout.Build(
            config,
            name => shapes.TryGetValue(name, out var s) ? (dtype, (IReadOnlyList<long>)s) : null,
            $"synthetic {shape}");
    }

    /// <summary>An image with seeded random bytes in every blob; loaded (all blobs, or only <paramref name="loadedBlobs"/>).</summary>
    public static ParameterImage Random(ImageLayout layout, int seed, int? loadedBlobs = null)
    {
        var image = ParameterImage.Allocate(layout);
        var random = new Random(seed);
        for (int b = 0; b < layout.Blobs.Count; b++)
        {
            random.NextBytes(image.BlobBytes(b));
            if (b < (loadedBlobs ?? layout.Blobs.Count)) image.MarkLoaded(b);
        }
        return image;
    }

    public static TransferRequest Whole(ImageLayout layout, int chunkBytes = SmallChunk) =>
        new(Model, 0, layout.Blobs.Count, chunkBytes);

    public static void AssertIdentical(ParameterImage expected, ParameterImage actual)
    {
        for (int b = 0; b < expected.Layout.Blobs.Count; b++)
        {
            Assert.True(actual.IsLoaded(b), $"blob {b} is not marked loaded");
            Assert.True(expected.BlobBytes(b).SequenceEqual(actual.BlobBytes(b)), $"blob {b} differs");
        }
    }

    /// <summary>Lands whole blobs of an image that stands for a node still receiving (the test plays its transport).</summary>
    public static void Land(ImageSink sink, int firstBlob, int endBlob)
    {
        for (int b = firstBlob; b < endBlob; b++)
            sink.ChunkLanded(b, 0, (int)sink.Layout.Blobs[b].ByteLength);
    }
}
