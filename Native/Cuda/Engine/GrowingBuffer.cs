namespace BlitzScale.Native.Cuda.Engine;

/// <summary>
/// A device buffer reused from call to call and replaced by a larger one only when a call needs more: the engine's
/// per-step scratch (batch tables, RoPE table, attention scores, embedding ids, head rows and logits) without a
/// cuMemAlloc and a synchronizing cuMemFree on every step.
/// </summary>
internal sealed class GrowingBuffer(CudaContext context, CudaStream stream) : IDisposable
{
    private DeviceBuffer? _buffer;

    /// <summary>
    /// The buffer, at least <paramref name="bytes"/> long. When it must grow, <paramref name="stream"/> is drained first
    /// (kernels queued on it may still read the old one) and the new one holds exactly <paramref name="bytes"/>.
    /// </summary>
    public DeviceBuffer AtLeast(long bytes)
    {
        if (_buffer is { } buffer && buffer.Bytes >= bytes) return buffer;
        if (_buffer is not null)
        {
            stream.Synchronize();
            _buffer.Dispose();
            _buffer = null;
        }
        _buffer = context.Allocate(bytes);
        return _buffer;
    }

    /// <summary>The buffer as last grown.</summary>
    /// <exception cref="InvalidOperationException">It was never asked for.</exception>
    public DeviceBuffer Current => _buffer ?? throw new InvalidOperationException("the buffer has not been allocated yet");

    public void Dispose() => _buffer?.Dispose();
}
