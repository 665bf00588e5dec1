namespace BlitzScale.Native.Engine;

/// <summary>
/// A run of consecutive tokens of one sequence in a batch (a prefill chunk, or a decode step of one token) and the
/// decoder layers [<paramref name="FirstLayer"/>, <paramref name="EndLayer"/>) the step runs for it.
/// </summary>
/// <param name="Blocks">
/// The sequence's KV block ids in position order: position p lives in block <c>Blocks[p / blockSize]</c>, slot
/// <c>p % blockSize</c>. They must cover <c>Start + Count</c> positions.
/// </param>
/// <param name="Start">Position of the first token.</param>
/// <param name="Count">Number of tokens.</param>
/// <param name="FirstLayer">First decoder layer run for this segment.</param>
/// <param name="EndLayer">One past the last decoder layer run for this segment.</param>
public readonly record struct BatchSegment(IReadOnlyList<int> Blocks, int Start, int Count, int FirstLayer, int EndLayer);
