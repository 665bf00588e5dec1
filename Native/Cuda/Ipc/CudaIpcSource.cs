using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Cuda.Ipc;

/// <summary>
/// A model's parameter image in device memory, as a <see cref="CudaIpcBlobServer"/> serves it: blob b at
/// <c>ImageOffset + Layout.Blobs[b].Offset</c> of <see cref="Image"/>, whose IPC handle is exported once.
/// </summary>
internal sealed class CudaIpcSource
{
    public CudaIpcSource(ImageLayout layout, DeviceBuffer image, long imageOffset)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(image);
        image.CheckRange(imageOffset, layout.TotalBytes, nameof(imageOffset));
        Layout = layout;
        Image = image;
        ImageOffset = imageOffset;
        Handle = CudaIpc.Export(image);
    }

    public ImageLayout Layout { get; }
    public DeviceBuffer Image { get; }
    public long ImageOffset { get; }
    public byte[] Handle { get; }
}
