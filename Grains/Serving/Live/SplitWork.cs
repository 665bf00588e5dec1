using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;

namespace BlitzScale.Grains.Serving.Live;

/// <summary>
/// One step of a split request for the instance that runs its tail (LiveOld): positions [Start, Start + Count) of request
/// <paramref name="RequestId"/>, whose hidden states after layers [0, FirstLayer) the partner computed, to run through layers
/// [FirstLayer, L) and the head, sampling the next token.
/// </summary>
/// <param name="RequestId">The request (the partner's id for it).</param>
/// <param name="Start">Position of the first row.</param>
/// <param name="Count">Rows: the whole prompt at the hand-over, then one per decode step.</param>
/// <param name="FirstLayer">The split layer j; the same for every step of a request.</param>
/// <param name="Hidden">Count rows of hidden states; null when FirstLayer is 0 (the request's KV moved to the partner, which runs it whole):
/// then <paramref name="TokenId"/> is the one row's token, which the partner embeds.</param>
/// <param name="Sampling">How the request samples (its sampler lives where the head runs).</param>
/// <param name="Positions">Positions the request may reach (prompt + max tokens): the KV blocks reserved for it here.</param>
/// <param name="Partner">The LiveNew partner (its shard) that sent it; null: the one paired now.</param>
/// <param name="TokenId">The row's token when <paramref name="Hidden"/> is null; -1 otherwise.</param>
public sealed record SplitWork(string RequestId, int Start, int Count, int FirstLayer, HiddenStates? Hidden, SamplingOptions Sampling, int Positions,
    string? Partner = null, int TokenId = -1);
