namespace BlitzScale.Native.Cuda.Kernels;

/// <summary>A kernel launch's grid and block.</summary>
internal readonly record struct LaunchShape((uint X, uint Y, uint Z) Grid, (uint X, uint Y, uint Z) Block);

/// <summary>Grid and block of every kernel in <see cref="KernelSource"/>, with the limits the kernels were written for checked.</summary>
internal static class LaunchDims
{
    /// <summary>Threads of the row and element-wise kernels: a multiple of 32, as the block reductions need.</summary>
    public const int BlockThreads = 256;
    /// <summary>Threads of both attention kernels (<c>__launch_bounds__(128)</c>).</summary>
    public const int AttentionThreads = 128;
    /// <summary>Tokens per prefill attention block (Q_TILE).</summary>
    public const int QueryTile = 32;
    /// <summary>Largest head dimension the attention kernels hold (MAX_HEAD_DIM).</summary>
    public const int MaxHeadDim = 128;

    private const uint MaxGridY = 65535;

    /// <summary>One block of <see cref="BlockThreads"/> per row (embedding, RMSNorm, argmax, RoPE).</summary>
    public static LaunchShape Rows(int rows) => new((Positive(rows, nameof(rows)), 1, 1), (BlockThreads, 1, 1));

    /// <summary>One thread per element of a flat range.</summary>
    public static LaunchShape Flat(long elements)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(elements);
        long blocks = (elements + BlockThreads - 1) / BlockThreads;
        if (blocks > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(elements), $"{elements} elements need {blocks} blocks, over the grid limit");
        return new(((uint)blocks, 1, 1), (BlockThreads, 1, 1));
    }

    /// <summary>One thread per element of each row: (ceil(width / block), rows).</summary>
    public static LaunchShape PerRow(int width, int rows)
    {
        uint x = (uint)((Positive(width, nameof(width)) + BlockThreads - 1) / BlockThreads);
        return new((x, GridY(rows, nameof(rows)), 1), (BlockThreads, 1, 1));
    }

    /// <summary>Prefill attention: (query tiles, heads).</summary>
    public static LaunchShape AttentionPrefill(int tiles, int heads) =>
        new((Positive(tiles, nameof(tiles)), GridY(heads, nameof(heads)), 1), (AttentionThreads, 1, 1));

    /// <summary>Decode attention: (decode tokens, heads).</summary>
    public static LaunchShape AttentionDecode(int tokens, int heads) =>
        new((Positive(tokens, nameof(tokens)), GridY(heads, nameof(heads)), 1), (AttentionThreads, 1, 1));

    /// <summary>Causal softmax of cuBLAS attention scores: one block per (query row, batch item).</summary>
    public static LaunchShape SoftmaxRows(int length, int batch) =>
        new((Positive(length, nameof(length)), GridY(batch, nameof(batch)), 1), (BlockThreads, 1, 1));

    /// <summary>Checks a head dimension the attention kernels can run: a multiple of 4 (float4 rows) up to 128.</summary>
    /// <exception cref="NotSupportedException">It is not.</exception>
    public static void CheckHeadDim(int headDim)
    {
        if (headDim <= 0 || headDim % 4 != 0 || headDim > MaxHeadDim)
            throw new NotSupportedException($"the cuda attention kernels need a head dimension that is a multiple of 4 up to {MaxHeadDim}; this model's is {headDim}");
    }

    private static uint Positive(int value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, name);
        return (uint)value;
    }

    private static uint GridY(int value, string name)
    {
        uint y = Positive(value, name);
        if (y > MaxGridY) throw new ArgumentOutOfRangeException(name, $"{value} exceeds the grid's y limit of {MaxGridY}");
        return y;
    }
}
