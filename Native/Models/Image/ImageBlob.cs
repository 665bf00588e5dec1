namespace BlitzScale.Native.Models.Image;

/// <summary>What a blob of the parameter image holds.</summary>
public enum BlobKind
{
    /// <summary>The token embedding matrix.</summary>
    Embedding,
    /// <summary>One decoder layer.</summary>
    Layer,
    /// <summary>The final norm and (when not tied to the embedding) the output head.</summary>
    Head,
}

/// <summary>One tensor inside a blob.</summary>
/// <param name="Name">The Hugging Face tensor name it was read from.</param>
/// <param name="DType">Element type, as stored in the file.</param>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="OffsetInBlob">Byte offset from the start of its blob.</param>
/// <param name="ByteLength">Bytes it occupies.</param>
public sealed record ImageTensor(string Name, Tensors.DType DType, IReadOnlyList<long> Shape, long OffsetInBlob, long ByteLength);

/// <summary>
/// One contiguous, aligned piece of the parameter image: the unit of transfer and of readiness.
/// </summary>
/// <param name="Index">Position in the image: 0 embedding, 1..L layers, L+1 head.</param>
/// <param name="Kind">What it holds.</param>
/// <param name="Layer">The decoder layer for <see cref="BlobKind.Layer"/>, else -1.</param>
/// <param name="Offset">Byte offset in the image (a multiple of <see cref="ImageLayout.BlobAlignment"/>).</param>
/// <param name="ByteLength">Bytes of the blob, padding included.</param>
/// <param name="Tensors">Its tensors, in layout order.</param>
public sealed record ImageBlob(int Index, BlobKind Kind, int Layer, long Offset, long ByteLength, IReadOnlyList<ImageTensor> Tensors)
{
    /// <summary>The tensor read from the given Hugging Face name.</summary>
    public ImageTensor this[string name] =>
        Tensors.FirstOrDefault(t => t.Name == name)
        ?? throw new KeyNotFoundException($"blob {Index} ({Kind}) has no tensor \"{name}\"");

    /// <summary>Whether the blob holds a tensor with that name.</summary>
    public bool Contains(string name) => Tensors.Any(t => t.Name == name);
}
