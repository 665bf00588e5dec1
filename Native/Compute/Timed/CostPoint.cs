namespace BlitzScale.Native.Compute.Timed;

/// <summary>One measured point of a cost curve: the per-layer time of a step of a given size.</summary>
/// <param name="Size">Prefill tokens of one sequence, or decode sequences of one token each.</param>
/// <param name="Milliseconds">Time of one decoder layer for that step, in ms.</param>
public readonly record struct CostPoint(int Size, double Milliseconds);
