namespace BlitzScale.Native.Engine;

/// <summary>
/// A run of consecutive tokens of one sequence in a batch: a prefill chunk (many tokens) or a decode step (one).
/// </summary>
/// <param name="Sequence">The sequence's KV blocks; they must already cover <c>Start + Count</c> positions.</param>
/// <param name="Start">Position of the first token.</param>
/// <param name="Count">Number of tokens.</param>
public readonly record struct BatchSegment(KvSequence Sequence, int Start, int Count);

/// <summary>One engine step: segments of any sequences, their tokens concatenated in segment order.</summary>
public sealed class Batch
{
    /// <summary>A batch of the given segments.</summary>
    public Batch(IReadOnlyList<BatchSegment> segments)
    {
        if (segments.Count == 0) throw new ArgumentException("a batch needs at least one segment", nameof(segments));
        foreach (var s in segments)
        {
            if (s.Count <= 0) throw new ArgumentException($"segment at position {s.Start} has {s.Count} tokens", nameof(segments));
            if (s.Start < 0) throw new ArgumentException($"segment starts at negative position {s.Start}", nameof(segments));
        }
        Segments = segments;
        TokenCount = segments.Sum(s => s.Count);
    }

    /// <summary>The segments.</summary>
    public IReadOnlyList<BatchSegment> Segments { get; }
    /// <summary>Tokens in all segments.</summary>
    public int TokenCount { get; }

    /// <summary>A prefill of one sequence.</summary>
    public static Batch Single(KvSequence sequence, int start, int count) => new([new BatchSegment(sequence, start, count)]);
}
