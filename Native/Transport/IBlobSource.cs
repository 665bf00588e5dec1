using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Transport;

/// <summary>
/// Blobs of a parameter image that can be sent: a fully loaded image (<see cref="ImageSource"/>) or one still
/// being filled (<see cref="ImageSink"/>, which is how a node in a chain forwards what it receives).
/// </summary>
public interface IBlobSource
{
    /// <summary>The layout of the image.</summary>
    ImageLayout Layout { get; }

    /// <summary>
    /// The bytes <c>[offsetInBlob, offsetInBlob + length)</c> of a blob, straight over the image's memory (no copy),
    /// once they have landed and been verified. Completes synchronously when they already have.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the blob.</exception>
    /// <exception cref="InvalidOperationException">A loaded image does not hold the blob.</exception>
    /// <exception cref="TransferException">The transfer filling the image failed before these bytes landed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    ValueTask<ReadOnlyMemory<byte>> ReadAsync(int blob, long offsetInBlob, int length, CancellationToken cancellationToken = default);
}
