using System.Runtime.InteropServices;

namespace BlitzScale.Native.Models.Image;

/// <summary>
/// One model's parameter image in host memory, laid out by an <see cref="ImageLayout"/>, with per-blob readiness:
/// an instance that has received blobs 0..k can run the layers they hold.
/// </summary>
public sealed unsafe class ParameterImage : IDisposable
{
    private readonly bool[] _loaded;
    // What calloc returned (freed with it) and the first BlobAlignment boundary in it, where the image starts.
    private void* _allocation;
    private byte* _base;

    private ParameterImage(ImageLayout layout)
    {
        Layout = layout;
        _loaded = new bool[layout.Blobs.Count];
        // Padding between tensors must be deterministic (images are compared and hashed byte for byte), so the memory is
        // zeroed; calloc does it lazily for an image this large (fresh pages from the kernel are zero), where clearing it
        // here wrote every page once before any blob landed: 0.4-8 s on the grain turn of a scale call for stories110m.
        _allocation = NativeMemory.AllocZeroed((nuint)layout.TotalBytes + ImageLayout.BlobAlignment);
        _base = (byte*)(((nuint)_allocation + ImageLayout.BlobAlignment - 1) & ~(nuint)(ImageLayout.BlobAlignment - 1));
    }

    /// <summary>Allocates an empty image (no blob loaded), every byte zero; its memory is touched only as blobs land.</summary>
    public static ParameterImage Allocate(ImageLayout layout) => new(layout);

    /// <summary>The layout of the bytes.</summary>
    public ImageLayout Layout { get; }

    internal byte* Base => _base != null ? _base : throw new ObjectDisposedException(nameof(ParameterImage));

    /// <summary>Whether blob <paramref name="blob"/> has fully arrived.</summary>
    public bool IsLoaded(int blob) => Volatile.Read(ref _loaded[blob]);

    /// <summary>Marks blob <paramref name="blob"/> as fully arrived.</summary>
    public void MarkLoaded(int blob) => Volatile.Write(ref _loaded[blob], true);

    /// <summary>Whether every blob has arrived.</summary>
    public bool IsComplete => Enumerable.Range(0, _loaded.Length).All(IsLoaded);

    /// <summary>Number of leading decoder layers whose blobs (and the embedding) have arrived.</summary>
    public int LoadedLayerPrefix => Layout.LoadedLayerPrefix(IsLoaded);

    /// <summary>The first layer of the trailing decoder layers that have arrived with the head (<see cref="ImageLayout.LoadedLayerSuffix"/>).</summary>
    public int LoadedLayerSuffix => Layout.LoadedLayerSuffix(IsLoaded);

    /// <summary>The bytes of one blob, for filling it or sending it to a peer.</summary>
    public Span<byte> BlobBytes(int blob)
    {
        var b = Layout.Blobs[blob];
        if (b.ByteLength > int.MaxValue)
            throw new NotSupportedException($"blob {blob} is {b.ByteLength} bytes; use chunked access for blobs over 2 GiB");
        return new Span<byte>(Base + b.Offset, (int)b.ByteLength);
    }

    /// <summary>A pointer to a tensor of a blob; the memory does not move for the life of the image.</summary>
    internal byte* TensorPointer(ImageBlob blob, ImageTensor tensor) => Base + blob.Offset + tensor.OffsetInBlob;

    /// <summary>Frees the memory.</summary>
    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        NativeMemory.Free(_allocation);
        _allocation = null;
    }
}
