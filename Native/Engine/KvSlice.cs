using BlitzScale.Native.Models;

namespace BlitzScale.Native.Engine;

/// <summary>
/// The keys and values of one sequence's first <see cref="Positions"/> positions in layers [<see cref="FirstLayer"/>,
/// <see cref="EndLayer"/>), as they move between instances: layer by layer, its keys then its values, each
/// <c>Positions × kv_dim</c> f32 in position order (<see cref="Rows"/> rows of kv_dim).
/// </summary>
/// <param name="Positions">Positions, from 0.</param>
/// <param name="FirstLayer">The first layer.</param>
/// <param name="EndLayer">One past the last layer.</param>
public readonly record struct KvSlice(int Positions, int FirstLayer, int EndLayer)
{
    /// <summary>Layers in the slice.</summary>
    public int Layers => EndLayer - FirstLayer;

    /// <summary>Rows of kv_dim floats: keys and values (2) × layers × positions.</summary>
    public long Rows => 2L * Layers * Positions;

    /// <summary>Floats in the slice for <paramref name="config"/>.</summary>
    public long Floats(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Rows * config.KvDim;
    }

    /// <summary>
    /// Refuses a slice that cannot be read from or written to a store of <paramref name="shape"/> for <paramref name="config"/>
    /// through <paramref name="blocks"/> with <paramref name="floats"/> floats on the other side: the one check every engine's
    /// <see cref="ILayerEngine.ReadKv"/> and <see cref="ILayerEngine.WriteKv"/> makes.
    /// </summary>
    /// <exception cref="ArgumentException">What does not fit (<see cref="Problem"/>), for parameter <c>slice</c>.</exception>
    public void Check(LlamaConfig config, KvStoreShape shape, IReadOnlyList<int> blocks, long floats)
    {
        if (Problem(config, shape, blocks, floats) is { } problem) throw new ArgumentException(problem, "slice");
    }

    /// <summary>Why the slice does not fit (see <see cref="Check"/>), or null.</summary>
    public string? Problem(LlamaConfig config, KvStoreShape shape, IReadOnlyList<int> blocks, long floats)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(blocks);
        if (Positions < 1) return $"a KV slice needs at least one position, found {Positions}";
        if (FirstLayer < 0 || EndLayer <= FirstLayer || EndLayer > config.NumLayers)
            return $"layers [{FirstLayer}, {EndLayer}) are not a range within the model's {config.NumLayers}";
        if ((long)blocks.Count * shape.BlockSize < Positions)
            return $"{blocks.Count} blocks of {shape.BlockSize} positions cannot hold {Positions} positions";
        foreach (int block in blocks)
        {
            if ((uint)block >= (uint)shape.Blocks) return $"block {block} is outside the store's {shape.Blocks}";
        }
        if (floats != Floats(config)) return $"expected {Floats(config)} floats for {Positions} positions of layers [{FirstLayer}, {EndLayer}), found {floats}";
        return null;
    }

    /// <summary>
    /// Every contiguous copy between the slice's layout and a store, in the layout's order: the layer, whether it is the values
    /// (else the keys), the copy's first row in the layout (rows of kv_dim), its first slot in that layer's keys or values, and
    /// its positions. The one walk every engine's <see cref="ILayerEngine.ReadKv"/> and <see cref="ILayerEngine.WriteKv"/> makes.
    /// </summary>
    public IEnumerable<(int Layer, bool Values, long Row, long Slot, int Count)> Copies(IReadOnlyList<int> blocks, int blockSize)
    {
        long row = 0;
        for (int layer = FirstLayer; layer < EndLayer; layer++)
        {
            foreach (bool values in (bool[])[false, true])
            {
                foreach (var run in Runs(blocks, blockSize)) yield return (layer, values, row + run.Position, run.Slot, run.Count);
                row += Positions;
            }
        }
    }

    /// <summary>
    /// The slice's positions in runs that are contiguous in a layer's store: the run's first position, its first slot in the
    /// store (block × block size + offset), and its length.
    /// </summary>
    public IEnumerable<(int Position, long Slot, int Count)> Runs(IReadOnlyList<int> blocks, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        for (int position = 0; position < Positions;)
        {
            int within = position % blockSize;
            int count = Math.Min(blockSize - within, Positions - position);
            yield return (position, (long)blocks[position / blockSize] * blockSize + within, count);
            position += count;
        }
    }
}
