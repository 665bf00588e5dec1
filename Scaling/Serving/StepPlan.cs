
namespace BlitzScale.Scaling.Serving;

/// <summary>
/// One step as the batcher decided it: decodes first (admission order), then prefill chunks. The executor runs
/// exactly this (turning each segment's block table, positions and layer range into its engine's batch) and reports back with <see cref="ContinuousBatcher.Complete"/>; it decides nothing.
/// </summary>
public sealed class StepPlan
{
    private readonly PlannedSegment[] _segments;
    private readonly int[] _tokenIds;

    internal StepPlan(long number, PlannedSegment[] segments, int[] tokenIds)
    {
        Number = number;
        _segments = segments;
        _tokenIds = tokenIds;
    }

    /// <summary>The step's number on its batcher, from 0.</summary>
    public long Number { get; }

    /// <summary>The segments, in the order their tokens are concatenated.</summary>
    public IReadOnlyList<PlannedSegment> Segments => _segments;

    /// <summary>Every segment's input tokens, concatenated in segment order (what to embed).</summary>
    public ReadOnlySpan<int> TokenIds => _tokenIds;

    /// <summary>Tokens in the step.</summary>
    public int TokenCount => _tokenIds.Length;
}
