using BlitzScale.Native.Engine;

namespace BlitzScale.Native.Cuda.Engine;

/// <summary>
/// The device memory behind one <see cref="KvCache"/>: the same geometry and block layout, in one allocation of
/// <c>(layers, keys|values, blocks × block_size × kv_dim)</c> f32. The host cache's arrays are not used by the cuda
/// backend; its block tables (in <see cref="KvSequence"/>) address both.
/// </summary>
internal sealed class DeviceKvStore : IDisposable
{
    private readonly long _perLayerBytes;

    public DeviceKvStore(CudaContext context, KvCache cache)
    {
        FirstLayer = cache.FirstLayer;
        Layers = cache.EndLayer - cache.FirstLayer;
        _perLayerBytes = (long)cache.Blocks * cache.BlockSize * cache.KvDim * sizeof(float);
        Buffer = context.Allocate(Math.Max(1, 2 * Layers * _perLayerBytes));
        Buffer.Zero();
    }

    public int FirstLayer { get; }
    public int Layers { get; }
    public DeviceBuffer Buffer { get; }

    /// <summary>The keys of <paramref name="layer"/> (the values follow them).</summary>
    public ulong Keys(int layer) => Buffer.Pointer + (ulong)(2 * (layer - FirstLayer) * _perLayerBytes);

    public ulong Values(int layer) => Keys(layer) + (ulong)_perLayerBytes;

    public void Dispose() => Buffer.Dispose();
}
