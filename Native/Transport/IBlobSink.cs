using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Transport;

/// <summary>
/// A parameter image being filled by transfers. Receivers write each chunk straight into
/// <see cref="ChunkMemory"/>, verify it in place, then report it with <see cref="ChunkLanded"/>.
/// </summary>
public interface IBlobSink
{
    /// <summary>The layout of the image.</summary>
    ImageLayout Layout { get; }

    /// <summary>The image memory of bytes <c>[offsetInBlob, offsetInBlob + length)</c> of a blob, to receive into.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the blob.</exception>
    Memory<byte> ChunkMemory(int blob, long offsetInBlob, int length);

    /// <summary>
    /// Those bytes have landed and passed their hash check. Returns true when this completed the blob, which is
    /// then marked loaded in the image; false otherwise (including when the bytes had landed before).
    /// </summary>
    bool ChunkLanded(int blob, long offsetInBlob, int length);

    /// <summary>
    /// The transfer filling blobs <c>[firstBlob, endBlob)</c> failed: readers waiting for bytes of those blobs that
    /// have not landed fail with <paramref name="error"/>, and so do later reads until another transfer lands bytes there.
    /// </summary>
    void TransferFailed(int firstBlob, int endBlob, Exception error);
}
