using BlitzScale.Native.Models;

namespace BlitzScale.Native.Engine;

/// <summary>
/// The KV store an engine owns: <paramref name="Blocks"/> blocks of <paramref name="BlockSize"/> positions, for every
/// decoder layer, keys and values in f32.
/// </summary>
/// <param name="Blocks">Blocks (the same ids address every layer).</param>
/// <param name="BlockSize">Positions per block.</param>
public readonly record struct KvStoreShape(int Blocks, int BlockSize)
{
    /// <summary>Blocks (the same ids address every layer).</summary>
    public int Blocks { get; init; } = Blocks > 0 ? Blocks : throw new ArgumentOutOfRangeException(nameof(Blocks), Blocks, "a KV store needs at least one block");

    /// <summary>Positions per block.</summary>
    public int BlockSize { get; init; } = BlockSize > 0 ? BlockSize : throw new ArgumentOutOfRangeException(nameof(BlockSize), BlockSize, "a KV block holds at least one position");

    /// <summary>Positions the store holds.</summary>
    public long Positions => (long)Blocks * BlockSize;

    /// <summary>
    /// Bytes of one block across all layers: keys and values (2) × layers × block size × kv dim × 4 (f32). The one
    /// KV-bytes formula: engines allocate by it and memory accounting charges by it.
    /// </summary>
    public static long BytesPerBlock(LlamaConfig config, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        return 2L * config.NumLayers * blockSize * config.KvDim * sizeof(float);
    }

    /// <summary>Bytes of the whole store for <paramref name="config"/>.</summary>
    public long Bytes(LlamaConfig config) => Blocks * BytesPerBlock(config, BlockSize);
}
