using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Cuda.Engine;

/// <summary>
/// A model's parameter image in ONE device allocation with the host image's byte layout (blob b at
/// <c>Layout.Blobs[b].Offset</c>), so a blob can be written straight into it by the data plane, and per-blob readiness
/// as <see cref="ParameterImage"/> keeps it.
/// </summary>
internal sealed unsafe class DeviceImage : IDisposable
{
    private readonly bool[] _loaded;

    public DeviceImage(CudaContext context, ImageLayout layout)
    {
        Layout = layout;
        _loaded = new bool[layout.Blobs.Count];
        Buffer = context.Allocate(layout.TotalBytes);
        // Padding is zero on the host image too: a blob read back from here hashes the same.
        Buffer.Zero();
    }

    public ImageLayout Layout { get; }
    public DeviceBuffer Buffer { get; }

    public bool IsLoaded(int blob) => Volatile.Read(ref _loaded[blob]);

    public void MarkLoaded(int blob) => Volatile.Write(ref _loaded[blob], true);

    /// <summary>Leading decoder layers whose blobs (and the embedding) are here.</summary>
    public int LoadedLayerPrefix => Layout.LoadedLayerPrefix(IsLoaded);

    /// <summary>The first layer of the trailing layers on the device with the head (<see cref="ImageLayout.LoadedLayerSuffix"/>).</summary>
    public int LoadedLayerSuffix => Layout.LoadedLayerSuffix(IsLoaded);

    /// <summary>Copies blob <paramref name="blob"/> of a host image (which must hold it) through the pinned staging chunks, then marks it.</summary>
    public void Load(ParameterImage source, int blob, ChunkedUploader uploader)
    {
        if (!ReferenceEquals(source.Layout, Layout) && source.Layout.TotalBytes != Layout.TotalBytes)
            throw new ArgumentException($"the host image ({source.Layout.TotalBytes} bytes) is not laid out like this device image ({Layout.TotalBytes} bytes)", nameof(source));
        if (!source.IsLoaded(blob))
            throw new InvalidOperationException($"blob {blob} has not arrived in the host image, so it cannot be copied to the device");
        var b = Layout.Blobs[blob];
        uploader.Upload((nint)(source.Base + b.Offset), b.ByteLength, Buffer, b.Offset);
        MarkLoaded(blob);
    }

    public void Dispose() => Buffer.Dispose();
}
