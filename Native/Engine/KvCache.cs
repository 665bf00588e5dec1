using BlitzScale.Native.Models;

namespace BlitzScale.Native.Engine;

/// <summary>
/// Paged key/value storage for the decoder layers [<see cref="FirstLayer"/>, <see cref="EndLayer"/>) of one instance.
/// </summary>
/// <remarks>
/// Per layer, keys and values each are one array of fixed-size blocks:
/// <code>
/// keys[layer]: | block 0: pos 0..bs-1 × kv_dim | block 1 | … |   (values alike)
/// </code>
/// A sequence's <see cref="KvSequence"/> maps its positions to blocks. Instances that each run a range of
/// layers each keep a cache of their range; together they hold exactly what one whole instance would.
/// </remarks>
public sealed class KvCache
{
    private readonly float[][] _keys;
    private readonly float[][] _values;

    /// <summary>A cache of <paramref name="blocks"/> blocks of <paramref name="blockSize"/> positions for layers [first, end).</summary>
    public KvCache(LlamaConfig config, int firstLayer, int endLayer, int blocks, int blockSize)
    {
        if (firstLayer < 0 || endLayer > config.NumLayers || firstLayer > endLayer)
            throw new ArgumentOutOfRangeException(nameof(firstLayer), $"layer range [{firstLayer}, {endLayer}) is outside [0, {config.NumLayers})");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        long perLayer = (long)blocks * blockSize * config.KvDim;
        if (perLayer > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(blocks), $"{blocks} blocks of {blockSize} × {config.KvDim} floats exceed one array per layer");
        FirstLayer = firstLayer;
        EndLayer = endLayer;
        Blocks = blocks;
        BlockSize = blockSize;
        KvDim = config.KvDim;
        _keys = new float[endLayer - firstLayer][];
        _values = new float[endLayer - firstLayer][];
        for (int l = 0; l < _keys.Length; l++)
        {
            _keys[l] = new float[perLayer];
            _values[l] = new float[perLayer];
        }
    }

    /// <summary>First layer held.</summary>
    public int FirstLayer { get; }
    /// <summary>One past the last layer held.</summary>
    public int EndLayer { get; }
    /// <summary>Blocks per layer.</summary>
    public int Blocks { get; }
    /// <summary>Positions per block.</summary>
    public int BlockSize { get; }
    /// <summary>Floats per position (kv heads × head dim).</summary>
    public int KvDim { get; }

    /// <summary>Bytes of one block across all layers held (keys and values).</summary>
    public long BytesPerBlock => 2L * (EndLayer - FirstLayer) * BlockSize * KvDim * sizeof(float);

    /// <summary>The keys of <paramref name="layer"/>, all blocks.</summary>
    public Span<float> Keys(int layer) => _keys[Index(layer)];

    /// <summary>The values of <paramref name="layer"/>, all blocks.</summary>
    public Span<float> Values(int layer) => _values[Index(layer)];

    internal float[] KeysArray(int layer) => _keys[Index(layer)];

    internal float[] ValuesArray(int layer) => _values[Index(layer)];

    /// <summary>Offset of position <paramref name="position"/> of <paramref name="sequence"/> in a layer's array.</summary>
    internal int SlotOffset(KvSequence sequence, int position) =>
        (sequence.Blocks[position / BlockSize] * BlockSize + position % BlockSize) * KvDim;

    private int Index(int layer)
    {
        if (layer < FirstLayer || layer >= EndLayer)
            throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} is not held by this cache of layers [{FirstLayer}, {EndLayer})");
        return layer - FirstLayer;
    }
}
