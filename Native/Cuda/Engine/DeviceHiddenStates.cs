namespace BlitzScale.Native.Cuda.Engine;

/// <summary>
/// Hidden states kept in device memory, (tokens, width) f32, for running several layer ranges on one
/// <see cref="CudaEngine"/> without the host round trip that the <c>ILayerEngine</c> methods pay.
/// </summary>
public sealed class DeviceHiddenStates : IDisposable
{
    private readonly bool _owned;

    /// <param name="buffer">Where the rows are.</param>
    /// <param name="tokens">Rows.</param>
    /// <param name="width">Floats per row.</param>
    /// <param name="owned">Whether disposing frees <paramref name="buffer"/> (false for the engine's own scratch).</param>
    internal DeviceHiddenStates(DeviceBuffer buffer, int tokens, int width, bool owned = true)
    {
        Buffer = buffer;
        Tokens = tokens;
        Width = width;
        _owned = owned;
    }

    /// <summary>Rows.</summary>
    public int Tokens { get; }
    /// <summary>Floats per row.</summary>
    public int Width { get; }

    internal DeviceBuffer Buffer { get; }

    /// <summary>Frees the device memory (when these states own it).</summary>
    public void Dispose()
    {
        if (_owned) Buffer.Dispose();
    }
}
