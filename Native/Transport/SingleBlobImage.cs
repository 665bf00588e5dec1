using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Transport;

/// <summary>
/// The layout of an image that is one blob of opaque bytes (a hand-off of activations rather than a model's parameters),
/// so that the transports that move parameter images move it too, with the same chunking, hashing, authentication and
/// retirement.
/// </summary>
public static class SingleBlobImage
{
    // The layout type requires a model shape; this image holds none. No layers means no layer prefix is ever loaded, so
    // nothing can mistake it for parameters. The transports read only the blobs and the total length.
    private static readonly LlamaConfig NoModel = new()
    {
        Architecture = "single-blob",
        HiddenSize = 0,
        IntermediateSize = 0,
        NumLayers = 0,
        NumHeads = 0,
        NumKvHeads = 0,
        HeadDim = 0,
        VocabSize = 0,
        MaxPositionEmbeddings = 0,
        RmsNormEps = 0,
        RopeTheta = 0,
        TieWordEmbeddings = false,
        AttentionBias = false,
    };

    /// <summary>A layout of one blob (blob 0) of exactly <paramref name="bytes"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is not positive.</exception>
    public static ImageLayout Layout(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        // Blob 0 of an image is its embedding by position; the kind says nothing more here.
        return new ImageLayout(NoModel, [new ImageBlob(0, BlobKind.Embedding, -1, 0, bytes, [])]);
    }
}
