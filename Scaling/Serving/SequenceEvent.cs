namespace BlitzScale.Scaling.Serving;

/// <summary>What one step did to one sequence: a token produced, and whether that ended it.</summary>
/// <param name="Sequence">The sequence.</param>
/// <param name="TokenId">The generated token, or -1 when the event only ends the sequence (EOS, which is not output, or cancellation).</param>
/// <param name="Index">The token's index in the output; for a -1 event, the number of tokens produced.</param>
/// <param name="Finish">Why the sequence ended, or null when it goes on.</param>
public readonly record struct SequenceEvent(ServingSequence Sequence, int TokenId, int Index, ServingFinishReason? Finish);
