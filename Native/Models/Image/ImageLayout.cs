using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Models.Image;

/// <summary>
/// Where every byte of one model's parameter image lives (one tensor-parallel rank; TP=1 for now).
/// </summary>
/// <remarks>
/// <code>
/// | embedding | layer 0 | layer 1 | … | layer L-1 | final norm (+ head) |
///   blob 0      blob 1                  blob L      blob L+1
/// </code>
/// Each blob starts on a <see cref="BlobAlignment"/> boundary so it can be transferred, registered for
/// DMA and marked ready on its own. Inside a layer blob, tensors come in groups that each start on a
/// <see cref="TensorAlignment"/> boundary; the members of a group are packed back to back so that
/// [q; k; v] and [gate; up] are each one matrix the compute backends multiply in a single pass.
/// </remarks>
public sealed class ImageLayout
{
    /// <summary>Alignment of every blob, in bytes (a page).</summary>
    public const int BlobAlignment = 4096;
    /// <summary>Alignment of every tensor group inside a blob, in bytes.</summary>
    public const int TensorAlignment = 256;

    internal ImageLayout(LlamaConfig config, IReadOnlyList<ImageBlob> blobs)
    {
        Config = config;
        Blobs = blobs;
        TotalBytes = blobs[^1].Offset + blobs[^1].ByteLength;
    }

    /// <summary>The model shape this layout was built for.</summary>
    public LlamaConfig Config { get; }
    /// <summary>All blobs in image order.</summary>
    public IReadOnlyList<ImageBlob> Blobs { get; }
    /// <summary>Bytes of the whole image.</summary>
    public long TotalBytes { get; }
    /// <summary>Blob 0: the embedding.</summary>
    public ImageBlob Embedding => Blobs[0];
    /// <summary>The last blob: final norm and head.</summary>
    public ImageBlob Head => Blobs[^1];
    /// <summary>The blob of decoder layer <paramref name="layer"/>.</summary>
    public ImageBlob Layer(int layer) => Blobs[BlobOfLayer(layer)];
    /// <summary>Number of decoder layers.</summary>
    public int NumLayers => Config.NumLayers;

    /// <summary>The blob index of decoder layer <paramref name="layer"/>.</summary>
    public int BlobOfLayer(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, Config.NumLayers);
        return layer + 1;
    }

    /// <summary>
    /// Number of leading decoder layers whose blobs (and the embedding, blob 0) are loaded, as
    /// <paramref name="isLoaded"/> tells: the layers an instance can compute with while the rest streams in.
    /// </summary>
    public int LoadedLayerPrefix(Func<int, bool> isLoaded)
    {
        ArgumentNullException.ThrowIfNull(isLoaded);
        if (!isLoaded(0)) return 0;
        int n = 0;
        while (n < NumLayers && isLoaded(BlobOfLayer(n))) n++;
        return n;
    }

    /// <summary>
    /// The first layer of the trailing decoder layers whose blobs, and the head's (the last blob; with tied embeddings the
    /// embedding too, which the head reads), are loaded, as <paramref name="isLoaded"/> tells: an instance whose layers land last
    /// first can run <c>[that layer, L)</c> and the head for a partner that ran the layers before it. <see cref="NumLayers"/>
    /// while the head has not landed.
    /// </summary>
    public int LoadedLayerSuffix(Func<int, bool> isLoaded)
    {
        ArgumentNullException.ThrowIfNull(isLoaded);
        if (!isLoaded(Blobs.Count - 1) || Config.TieWordEmbeddings && !isLoaded(0)) return NumLayers;
        int first = NumLayers;
        while (first > 0 && isLoaded(BlobOfLayer(first - 1))) first--;
        return first;
    }

    /// <summary>
    /// The blobs in the order a load that lands the layers last first takes them: the head (and, with tied embeddings, the
    /// embedding it reads), then the layers from the last to the first, then the embedding (untied).
    /// </summary>
    public IEnumerable<int> BlobsLastFirst()
    {
        yield return Blobs.Count - 1;
        if (Config.TieWordEmbeddings) yield return 0;
        for (int layer = NumLayers - 1; layer >= 0; layer--) yield return BlobOfLayer(layer);
        if (!Config.TieWordEmbeddings) yield return 0;
    }

    /// <summary>Bytes of weights that one decode step of one sequence reads: every layer, the final norm and the head.</summary>
    public long BytesReadPerToken()
    {
        long bytes = 0;
        for (int l = 0; l < NumLayers; l++)
            bytes += Layer(l).Tensors.Sum(t => t.ByteLength);
        bytes += Head.Tensors.Sum(t => t.ByteLength);
        if (Config.TieWordEmbeddings)
            bytes += Embedding[TensorNames.Embedding].ByteLength;
        return bytes;
    }

    /// <summary>
    /// Builds the layout of a checkpoint, checking every tensor the config implies exists with the right shape.
    /// </summary>
    /// <param name="config">The model shape.</param>
    /// <param name="lookup">Returns a tensor's dtype and shape by Hugging Face name, or null when absent.</param>
    /// <param name="source">The checkpoint's name for error messages (its directory).</param>
    public static ImageLayout Build(LlamaConfig config, Func<string, (DType DType, IReadOnlyList<long> Shape)?> lookup, string source) =>
        new ImageLayoutBuilder(config, lookup, source).Build();
}
