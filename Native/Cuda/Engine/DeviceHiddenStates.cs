namespace BlitzScale.Native.Cuda.Engine;

/// <summary>
/// Hidden states kept in device memory, (tokens, width) f32, for running several layer ranges on one
/// <see cref="CudaEngine"/> without the host round trip that the <c>ILayerEngine</c> methods pay.
/// </summary>
public sealed class DeviceHiddenStates : IDisposable
{
    internal DeviceHiddenStates(DeviceBuffer buffer, int tokens, int width)
    {
        Buffer = buffer;
        Tokens = tokens;
        Width = width;
    }

    /// <summary>Rows.</summary>
    public int Tokens { get; }
    /// <summary>Floats per row.</summary>
    public int Width { get; }

    internal DeviceBuffer Buffer { get; }

    /// <summary>Frees the device memory.</summary>
    public void Dispose() => Buffer.Dispose();
}
