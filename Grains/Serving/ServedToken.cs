using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// One element of a served stream: a generated token, or, when the request ends at EOS, a final element with
/// <see cref="TokenId"/> = -1 (EOS is not output) whose <see cref="Index"/> is the number of tokens produced.
/// </summary>
/// <param name="TokenId">The token, or -1 for the EOS end marker.</param>
/// <param name="Index">Position in the output: 0, 1, 2, …</param>
/// <param name="ElapsedMs">Milliseconds from submission to delivery.</param>
/// <param name="Finish">Set on the last element only: why the request ended.</param>
/// <param name="QueuedMs">Milliseconds from submission to the first step that included the request (its time waiting).</param>
/// <param name="HandedTo">On the first token of a request handed over to a live partner, the partner's shard.</param>
public readonly record struct ServedToken(int TokenId, int Index, double ElapsedMs, ServingFinishReason? Finish, double QueuedMs = 0, string? HandedTo = null);
