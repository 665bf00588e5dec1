using BlitzScale.Native.Cuda.Kernels;
using BlitzScale.Native.Engine;

namespace BlitzScale.Native.Cuda.Engine;

/// <summary>
/// What the kernels need to know about a batch, built once per <c>RunLayers</c> call on the host and uploaded in one
/// copy (<see cref="Packed"/>): it addresses every layer alike, since all layers share the block tables.
/// </summary>
/// <remarks>
/// <code>
/// positions      (tokens) int     position of each token in its sequence
/// slots          (tokens) long    element offset of that position's row in a layer's key array (the cpu KvCache.SlotOffset)
/// token_segments (tokens) int     segment of each token
/// block_tables   (segments, max_blocks) int   each segment's KV block ids, zero-padded
/// prefill_tiles  (tiles, 4) int   first token, count (≤ 32), first position, segment: segments of 2+ tokens
/// decode_tokens  (n) int          tokens of single-token segments
/// </code>
/// Prefill segments that start at position 0 with a length in the GEMM range get no tiles: their attention runs as
/// cuBLAS GEMMs (<see cref="GemmSegments"/>, kept on the host).
/// </remarks>
internal sealed class BatchTables
{
    private BatchTables(int[] positions, long[] slots, int[] tokenSegments, int[] blockTables, int maxBlocks, int[] prefillTiles, int[] decodeTokens,
        (int FirstToken, int Count)[] gemmSegments)
    {
        GemmSegments = gemmSegments;
        Positions = positions;
        Slots = slots;
        TokenSegments = tokenSegments;
        BlockTables = blockTables;
        MaxBlocks = maxBlocks;
        PrefillTiles = prefillTiles;
        DecodeTokens = decodeTokens;
        MaxPosition = positions.Max();
    }

    public int[] Positions { get; }
    public long[] Slots { get; }
    public int[] TokenSegments { get; }
    public int[] BlockTables { get; }
    public int MaxBlocks { get; }
    public int[] PrefillTiles { get; }
    public int TileCount => PrefillTiles.Length / 4;
    public int[] DecodeTokens { get; }
    public int MaxPosition { get; }

    /// <summary>Segments whose attention runs as GEMMs: their first token in the batch and their length.</summary>
    public (int FirstToken, int Count)[] GemmSegments { get; }

    /// <summary>
    /// The tables of <paramref name="batch"/> for a cache of <paramref name="blockSize"/> positions per block and
    /// <paramref name="kvDim"/> floats per position. A segment that starts at position 0 with
    /// <paramref name="gemmTokens"/>.Min to .Max tokens (inclusive) goes to <see cref="GemmSegments"/> instead of tiles.
    /// </summary>
    public static BatchTables Build(Batch batch, int blockSize, int kvDim, (int Min, int Max)? gemmTokens = null)
    {
        int tokens = batch.TokenCount, segments = batch.Segments.Count;
        int maxBlocks = Math.Max(1, batch.Segments.Max(s => s.Blocks.Count));
        var positions = new int[tokens];
        var slots = new long[tokens];
        var tokenSegments = new int[tokens];
        var tables = new int[segments * maxBlocks];
        var tiles = new List<int>();
        var decode = new List<int>();
        var gemm = new List<(int, int)>();
        int t = 0;
        for (int s = 0; s < segments; s++)
        {
            var segment = batch.Segments[s];
            var blocks = segment.Blocks;
            for (int b = 0; b < blocks.Count; b++) tables[s * maxBlocks + b] = blocks[b];
            bool byGemm = segment.Count > 1 && segment.Start == 0 && gemmTokens is { } range && segment.Count >= range.Min && segment.Count <= range.Max;
            if (segment.Count == 1)
                decode.Add(t);
            else if (byGemm)
                gemm.Add((t, segment.Count));
            for (int first = 0; segment.Count > 1 && !byGemm && first < segment.Count; first += LaunchDims.QueryTile)
                tiles.AddRange([t + first, Math.Min(LaunchDims.QueryTile, segment.Count - first), segment.Start + first, s]);
            for (int i = 0; i < segment.Count; i++, t++)
            {
                int position = segment.Start + i;
                positions[t] = position;
                tokenSegments[t] = s;
                slots[t] = ((long)blocks[position / blockSize] * blockSize + position % blockSize) * kvDim;
            }
        }
        return new BatchTables(positions, slots, tokenSegments, tables, maxBlocks, [.. tiles], [.. decode], [.. gemm]);
    }

    /// <summary>Byte offsets of each table inside <see cref="Packed"/>.</summary>
    public (int Positions, int Slots, int TokenSegments, int BlockTables, int PrefillTiles, int DecodeTokens) Offsets
    {
        get
        {
            // Slots first: they need 8-byte alignment.
            int slots = 0;
            int positions = slots + Slots.Length * sizeof(long);
            int segments = positions + Positions.Length * sizeof(int);
            int tables = segments + TokenSegments.Length * sizeof(int);
            int tiles = tables + BlockTables.Length * sizeof(int);
            int decode = tiles + PrefillTiles.Length * sizeof(int);
            return (positions, slots, segments, tables, tiles, decode);
        }
    }

    /// <summary>Bytes of <see cref="Packed"/>.</summary>
    public int PackedBytes => Offsets.DecodeTokens + Math.Max(1, DecodeTokens.Length) * sizeof(int);

    /// <summary>All tables in one little-endian byte array, at <see cref="Offsets"/>.</summary>
    public byte[] Packed()
    {
        var bytes = new byte[PackedBytes];
        var o = Offsets;
        Write(bytes, o.Slots, Slots.AsSpan());
        Write(bytes, o.Positions, Positions.AsSpan());
        Write(bytes, o.TokenSegments, TokenSegments.AsSpan());
        Write(bytes, o.BlockTables, BlockTables.AsSpan());
        Write(bytes, o.PrefillTiles, PrefillTiles.AsSpan());
        Write(bytes, o.DecodeTokens, DecodeTokens.AsSpan());
        return bytes;
    }

    private static void Write<T>(byte[] bytes, int offset, ReadOnlySpan<T> values) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(bytes.AsSpan(offset));
}
