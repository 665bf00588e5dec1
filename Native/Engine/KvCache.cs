using BlitzScale.Native.Models;

namespace BlitzScale.Native.Engine;

/// <summary>
/// The cpu backend's paged key/value storage for every decoder layer of one instance.
/// </summary>
/// <remarks>
/// Per layer, keys and values each are one array of fixed-size blocks:
/// <code>
/// keys[layer]: | block 0: pos 0..bs-1 × kv_dim | block 1 | … |   (values alike)
/// </code>
/// A segment's block ids (<see cref="BatchSegment.Blocks"/>) map its positions to blocks; the same ids address every
/// layer. Instances that each run a range of layers write only the layers they run.
/// </remarks>
internal sealed class KvCache
{
    private readonly float[][] _keys;
    private readonly float[][] _values;

    /// <summary>A cache of <paramref name="shape"/> for every layer of <paramref name="config"/>.</summary>
    public KvCache(LlamaConfig config, KvStoreShape shape)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shape.Blocks, nameof(shape));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shape.BlockSize, nameof(shape));
        long perLayer = shape.Positions * config.KvDim;
        if (perLayer > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(shape), $"{shape.Blocks} blocks of {shape.BlockSize} × {config.KvDim} floats exceed one array per layer");
        Shape = shape;
        KvDim = config.KvDim;
        _keys = new float[config.NumLayers][];
        _values = new float[config.NumLayers][];
        for (int l = 0; l < _keys.Length; l++)
        {
            _keys[l] = new float[perLayer];
            _values[l] = new float[perLayer];
        }
    }

    /// <summary>Blocks and positions per block.</summary>
    public KvStoreShape Shape { get; }
    /// <summary>Floats per position (kv heads × head dim).</summary>
    public int KvDim { get; }

    /// <summary>The keys of <paramref name="layer"/>, all blocks.</summary>
    public Span<float> Keys(int layer) => _keys[layer];

    /// <summary>The values of <paramref name="layer"/>, all blocks.</summary>
    public Span<float> Values(int layer) => _values[layer];

    public float[] KeysArray(int layer) => _keys[layer];

    public float[] ValuesArray(int layer) => _values[layer];

    /// <summary>Offset of position <paramref name="position"/> of the sequence with <paramref name="blocks"/> in a layer's array.</summary>
    public int SlotOffset(IReadOnlyList<int> blocks, int position) =>
        (blocks[position / Shape.BlockSize] * Shape.BlockSize + position % Shape.BlockSize) * KvDim;

    /// <summary>Copies <paramref name="slice"/> of the sequence with <paramref name="blocks"/> into <paramref name="destination"/> (<see cref="KvSlice"/>'s layout).</summary>
    public void Read(IReadOnlyList<int> blocks, KvSlice slice, Span<float> destination)
    {
        foreach (var c in slice.Copies(blocks, Shape.BlockSize))
            Store(c.Layer, c.Values).AsSpan((int)(c.Slot * KvDim), c.Count * KvDim).CopyTo(destination[(int)(c.Row * KvDim)..]);
    }

    /// <summary>Writes <paramref name="source"/> (<see cref="KvSlice"/>'s layout) as <paramref name="slice"/> of the sequence with <paramref name="blocks"/>.</summary>
    public void Write(IReadOnlyList<int> blocks, KvSlice slice, ReadOnlySpan<float> source)
    {
        foreach (var c in slice.Copies(blocks, Shape.BlockSize))
            source.Slice((int)(c.Row * KvDim), c.Count * KvDim).CopyTo(Store(c.Layer, c.Values).AsSpan((int)(c.Slot * KvDim)));
    }

    private float[] Store(int layer, bool values) => values ? _values[layer] : _keys[layer];
}
