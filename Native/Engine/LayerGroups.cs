using BlitzScale.Native.Models;

namespace BlitzScale.Native.Engine;

/// <summary>
/// Splits a batch by layer for the engines: every segment runs its own [FirstLayer, EndLayer), and at each layer every
/// segment that runs it runs together. The layers are cut into spans where the set of running segments does not change,
/// and an engine runs the spans in layer order, each over the segments that cover it. The checks every engine owes its
/// caller live here too.
/// </summary>
/// <remarks>
/// <code>
/// batch rows:  | seg 0 [0,L) | seg 1 [k,L) ...... | seg 2 [0,L) | seg 3 [5,5) |
/// spans:       [0,k): seg 0 + seg 2,         rows (0, n0) (n0+n1, n2)  → gathered, run, scattered back
///              [k,L): seg 0 + seg 1 + seg 2, rows (0, n0+n1+n2)         → gathered, run, scattered back
///              seg 3 runs no layer: not in any span, its rows untouched
/// </code>
/// Why by layer and not by range: a live pair's old instance runs the layers [k, L) of the requests it pulled beside its
/// own requests' [0, L); run as two ranges, every layer from k on would be run twice, once per range, and a step would
/// cost nearly twice as much on a GPU, where a layer's time is mostly reading its weights. By layer, the pulled requests
/// join the batch at layer k (the paper's ZigZag batching). When every segment runs the same non-empty range (the
/// common case) there is one span, the batch itself, and nothing is copied. A token's result depends only on its own
/// row and its own sequence's cache entries (the cpu engine is batch-invariant), so any grouping keeps every value
/// bit-identical.
/// </remarks>
internal static class LayerGroups
{
    /// <summary>
    /// The spans of <paramref name="batch"/>, in layer order (to be run in that order), after checking the hidden states'
    /// shape and each segment's range and KV blocks.
    /// </summary>
    /// <exception cref="ArgumentException">The hidden states do not fit the batch, a segment's range is beyond the model or the
    /// loaded layers, or its blocks are too few or outside the store.</exception>
    public static IReadOnlyList<LayerGroup> Of(Batch batch, int hiddenTokens, int hiddenWidth, LlamaConfig config, int loadedLayers, int loadedSuffixFrom, KvStoreShape kv)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (hiddenTokens != batch.TokenCount || hiddenWidth != config.HiddenSize)
            throw new ArgumentException($"hidden states are {hiddenTokens}×{hiddenWidth}, the batch needs {batch.TokenCount}×{config.HiddenSize}", nameof(batch));
        var segments = batch.Segments;
        bool uniform = true;
        for (int i = 0; i < segments.Count; i++)
        {
            Check(segments[i], i, config, loadedLayers, loadedSuffixFrom, kv);
            uniform &= segments[i].FirstLayer == segments[0].FirstLayer && segments[i].EndLayer == segments[0].EndLayer;
        }
        if (uniform)
        {
            var s = segments[0];
            return s.FirstLayer == s.EndLayer ? [] : [new LayerGroup(s.FirstLayer, s.EndLayer, batch, [new RowRun(0, batch.TokenCount)], IsWholeBatch: true)];
        }

        // Span boundaries: every first and end layer of a segment that runs any layer.
        var cuts = new SortedSet<int>();
        foreach (var s in segments)
        {
            if (s.FirstLayer == s.EndLayer) continue;
            cuts.Add(s.FirstLayer);
            cuts.Add(s.EndLayer);
        }
        var spans = new List<LayerGroup>();
        int previous = -1;
        foreach (int cut in cuts)
        {
            if (previous >= 0)
            {
                var covering = new List<BatchSegment>();
                var rows = new List<RowRun>();
                int row = 0;
                foreach (var s in segments)
                {
                    if (s.FirstLayer <= previous && s.EndLayer >= cut)
                    {
                        covering.Add(s);
                        // Consecutive covering segments are one run of rows.
                        if (rows.Count > 0 && rows[^1].Row + rows[^1].Count == row) rows[^1] = new RowRun(rows[^1].Row, rows[^1].Count + s.Count);
                        else rows.Add(new RowRun(row, s.Count));
                    }
                    row += s.Count;
                }
                // A gap between segments' ranges (one ends before another starts) is a span nobody runs.
                if (covering.Count > 0)
                {
                    bool whole = covering.Count == segments.Count;
                    spans.Add(new LayerGroup(previous, cut, whole ? batch : new Batch(covering), rows, IsWholeBatch: whole));
                }
            }
            previous = cut;
        }
        return spans;
    }

    /// <summary>
    /// Runs <paramref name="run"/> once per group on host hidden states: the whole states for a group that is the whole
    /// batch, otherwise the group's rows gathered into their own states and scattered back afterwards.
    /// </summary>
    public static void Run(IReadOnlyList<LayerGroup> groups, HiddenStates hidden, Action<LayerGroup, HiddenStates> run)
    {
        foreach (var group in groups)
        {
            if (group.IsWholeBatch)
            {
                run(group, hidden);
                continue;
            }
            var rows = new HiddenStates(group.Batch.TokenCount, hidden.Width);
            int at = 0;
            foreach (var r in group.Rows)
            {
                hidden.Data.AsSpan(r.Row * hidden.Width, r.Count * hidden.Width).CopyTo(rows.Data.AsSpan(at * hidden.Width));
                at += r.Count;
            }
            run(group, rows);
            at = 0;
            foreach (var r in group.Rows)
            {
                rows.Data.AsSpan(at * hidden.Width, r.Count * hidden.Width).CopyTo(hidden.Data.AsSpan(r.Row * hidden.Width));
                at += r.Count;
            }
        }
    }

    private static void Check(BatchSegment s, int index, LlamaConfig config, int loadedLayers, int loadedSuffixFrom, KvStoreShape kv)
    {
        if (s.EndLayer > config.NumLayers)
            throw new ArgumentException($"segment {index} runs layers [{s.FirstLayer}, {s.EndLayer}), beyond the model's {config.NumLayers} layers", "batch");
        if (s.FirstLayer == s.EndLayer) return;
        // Loaded are a prefix [0, p) and a suffix [t, L): the range must miss the layers between them, [p, t).
        if (s.EndLayer > loadedLayers && s.FirstLayer < loadedSuffixFrom && loadedLayers < loadedSuffixFrom)
        {
            string loaded = loadedSuffixFrom >= config.NumLayers ? $"only layers [0, {loadedLayers})"
                : loadedLayers == 0 ? $"only layers [{loadedSuffixFrom}, {config.NumLayers})"
                : $"only layers [0, {loadedLayers}) and [{loadedSuffixFrom}, {config.NumLayers})";
            throw new ArgumentException(
                $"segment {index} runs layers [{s.FirstLayer}, {s.EndLayer}), but {loaded} of {config.NumLayers} are loaded", "batch");
        }
        int positions = s.Start + s.Count;
        long capacity = (long)s.Blocks.Count * kv.BlockSize;
        if (positions > capacity)
        {
            throw new ArgumentException(
                $"segment {index} writes positions up to {positions}, but its {s.Blocks.Count} KV blocks of {kv.BlockSize} positions hold {capacity}", "batch");
        }
        // Attention reads every position before the segment's last, so each block up to it must be in the store.
        for (int b = 0, used = (positions + kv.BlockSize - 1) / kv.BlockSize; b < used; b++)
        {
            if ((uint)s.Blocks[b] >= (uint)kv.Blocks)
                throw new ArgumentException($"segment {index}: KV block id {s.Blocks[b]} is outside the engine's store of {kv.Blocks} blocks", "batch");
        }
    }
}

/// <summary>The segments of a batch that all run layers [<paramref name="FirstLayer"/>, <paramref name="EndLayer"/>) (a span: the set does not change within it).</summary>
/// <param name="FirstLayer">First layer.</param>
/// <param name="EndLayer">One past the last layer (greater than <paramref name="FirstLayer"/>).</param>
/// <param name="Batch">Those segments, in batch order (the batch itself when <paramref name="IsWholeBatch"/>).</param>
/// <param name="Rows">Where their token rows are in the whole batch, in <paramref name="Batch"/>'s order.</param>
/// <param name="IsWholeBatch">Whether the group is every segment of the batch, so its rows need no gathering.</param>
internal sealed record LayerGroup(int FirstLayer, int EndLayer, Batch Batch, IReadOnlyList<RowRun> Rows, bool IsWholeBatch);

/// <summary><paramref name="Count"/> consecutive token rows of a batch, from <paramref name="Row"/>.</summary>
internal readonly record struct RowRun(int Row, int Count);
