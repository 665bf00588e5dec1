namespace BlitzScale.Scaling.Serving;

/// <summary>
/// One sequence's part of a step: positions [Start, Start + Count), the decoder layers [FirstLayer, EndLayer) the step
/// runs for them, and whether a token is sampled after the last.
/// </summary>
/// <param name="Sequence">The sequence; its <see cref="ServingSequence.Kv"/> covers the positions.</param>
/// <param name="Start">First position (= the sequence's computed tokens when planned).</param>
/// <param name="Count">Tokens: 1 for a decode, up to the budget for a prefill chunk.</param>
/// <param name="Sample">Whether the executor samples a token from this segment's last logits (decodes and last prefill chunks).</param>
/// <param name="FirstLayer">First decoder layer to run for the segment.</param>
/// <param name="EndLayer">One past the last decoder layer to run for the segment.</param>
public readonly record struct PlannedSegment(ServingSequence Sequence, int Start, int Count, bool Sample, int FirstLayer, int EndLayer);
