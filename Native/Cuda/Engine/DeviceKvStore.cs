using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;

namespace BlitzScale.Native.Cuda.Engine;

/// <summary>
/// The cuda engine's KV store: one device allocation of <c>(layers, keys|values, blocks × block_size × kv_dim)</c> f32,
/// the cpu backend's block layout for every layer. A segment's block ids address it; there is no host copy.
/// </summary>
internal sealed class DeviceKvStore : IDisposable
{
    private readonly long _perLayerBytes;

    public DeviceKvStore(CudaContext context, LlamaConfig config, KvStoreShape shape)
    {
        _perLayerBytes = shape.Positions * config.KvDim * sizeof(float);
        Buffer = context.Allocate(Math.Max(1, shape.Bytes(config)));
        Buffer.Zero();
    }

    public DeviceBuffer Buffer { get; }

    /// <summary>The keys of <paramref name="layer"/> (the values follow them).</summary>
    public ulong Keys(int layer) => Buffer.Pointer + (ulong)KeysOffset(layer);

    public ulong Values(int layer) => Buffer.Pointer + (ulong)ValuesOffset(layer);

    /// <summary>Where the keys of <paramref name="layer"/> start in <see cref="Buffer"/>.</summary>
    public long KeysOffset(int layer) => 2 * layer * _perLayerBytes;

    public long ValuesOffset(int layer) => KeysOffset(layer) + _perLayerBytes;

    public void Dispose() => Buffer.Dispose();
}
