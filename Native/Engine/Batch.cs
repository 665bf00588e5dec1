namespace BlitzScale.Native.Engine;

/// <summary>One engine step: segments of any sequences, their tokens concatenated in segment order.</summary>
public sealed class Batch
{
    /// <summary>A batch of the given segments.</summary>
    /// <exception cref="ArgumentException">No segments, or a segment with no tokens, a negative start or a reversed layer range.</exception>
    public Batch(IReadOnlyList<BatchSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        if (segments.Count == 0) throw new ArgumentException("a batch needs at least one segment", nameof(segments));
        for (int i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            ArgumentNullException.ThrowIfNull(s.Blocks, nameof(segments));
            if (s.Count <= 0) throw new ArgumentException($"segment {i} (at position {s.Start}) has {s.Count} tokens", nameof(segments));
            if (s.Start < 0) throw new ArgumentException($"segment {i} starts at negative position {s.Start}", nameof(segments));
            if (s.FirstLayer < 0 || s.FirstLayer > s.EndLayer)
                throw new ArgumentException($"segment {i} has the layer range [{s.FirstLayer}, {s.EndLayer})", nameof(segments));
        }
        Segments = segments;
        TokenCount = segments.Sum(s => s.Count);
    }

    /// <summary>The segments.</summary>
    public IReadOnlyList<BatchSegment> Segments { get; }
    /// <summary>Tokens in all segments.</summary>
    public int TokenCount { get; }

    /// <summary>The same segments, every one running layers [<paramref name="firstLayer"/>, <paramref name="endLayer"/>).</summary>
    public Batch WithLayers(int firstLayer, int endLayer) =>
        new(Segments.Select(s => s with { FirstLayer = firstLayer, EndLayer = endLayer }).ToArray());

    /// <summary>A batch of one segment.</summary>
    public static Batch Single(IReadOnlyList<int> blocks, int start, int count, int firstLayer, int endLayer) =>
        new([new BatchSegment(blocks, start, count, firstLayer, endLayer)]);
}
