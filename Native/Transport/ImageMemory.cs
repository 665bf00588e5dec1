using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Transport;

/// <summary>
/// <see cref="Memory{T}"/> slices of a parameter image, made without allocating. A <see cref="Memory{T}"/> holds at
/// most 2 GiB and images are larger, so the image is covered by windows that start every <see cref="WindowStride"/>
/// bytes and reach <see cref="TransferRequest.MaxChunkBytes"/> past the next start: any chunk lies whole in the
/// window its first byte falls in.
/// </summary>
/// <remarks>
/// <code>
/// image  |----------------------------------------------------------------|
/// win 0  |=============1 GiB=============|+256 MiB|
/// win 1                                  |=============1 GiB=============|+…|
/// </code>
/// The windows point into the image's native memory: the image must outlive every slice handed out.
/// </remarks>
internal sealed unsafe class ImageMemory
{
    private const int WindowShift = 30;
    private const long WindowStride = 1L << WindowShift;

    private readonly Memory<byte>[] _windows;
    private readonly ImageLayout _layout;

    public ImageMemory(ParameterImage image)
    {
        _layout = image.Layout;
        long total = _layout.TotalBytes;
        _windows = new Memory<byte>[(int)((total + WindowStride - 1) >> WindowShift)];
        for (int w = 0; w < _windows.Length; w++)
        {
            long start = (long)w << WindowShift;
            int length = (int)Math.Min(total - start, WindowStride + TransferRequest.MaxChunkBytes);
            _windows[w] = new NativeMemoryWindow(image.Base + start, length).Memory;
        }
    }

    /// <summary>Bytes <c>[offsetInBlob, offsetInBlob + length)</c> of a blob.</summary>
    public Memory<byte> Slice(int blob, long offsetInBlob, int length)
    {
        if ((uint)blob >= (uint)_layout.Blobs.Count)
            throw new ArgumentOutOfRangeException(nameof(blob), $"blob {blob} is not in the image (it has {_layout.Blobs.Count} blobs)");
        var b = _layout.Blobs[blob];
        if (offsetInBlob < 0 || length < 0 || length > TransferRequest.MaxChunkBytes || offsetInBlob + length > b.ByteLength)
        {
            throw new ArgumentOutOfRangeException(nameof(offsetInBlob),
                $"bytes {offsetInBlob}..{offsetInBlob + length} are not a chunk of blob {blob} ({b.ByteLength} bytes)");
        }
        long start = b.Offset + offsetInBlob;
        int w = (int)(start >> WindowShift);
        return _windows[w].Slice((int)(start - ((long)w << WindowShift)), length);
    }
}
