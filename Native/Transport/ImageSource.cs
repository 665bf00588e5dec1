using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Transport;

/// <summary>
/// Serves the loaded blobs of a parameter image (a GPU that holds the model, or the host copy). Blobs that are not
/// loaded are refused, never waited for: use <see cref="ImageSink"/> for an image that is still being filled.
/// </summary>
public sealed class ImageSource : IBlobSource
{
    private readonly ParameterImage _image;
    private readonly ImageMemory _memory;

    /// <summary>Wraps an image; it must stay alive while anything reads from this source.</summary>
    public ImageSource(ParameterImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        _image = image;
        _memory = new ImageMemory(image);
    }

    /// <inheritdoc/>
    public ImageLayout Layout => _image.Layout;

    /// <inheritdoc/>
    public ValueTask<ReadOnlyMemory<byte>> ReadAsync(int blob, long offsetInBlob, int length, CancellationToken cancellationToken = default)
    {
        var bytes = _memory.Slice(blob, offsetInBlob, length);
        return _image.IsLoaded(blob)
            ? new ValueTask<ReadOnlyMemory<byte>>(bytes)
            : ValueTask.FromException<ReadOnlyMemory<byte>>(new InvalidOperationException($"blob {blob} is not loaded in this image"));
    }
}
