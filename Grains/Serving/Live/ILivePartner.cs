using BlitzScale.Native.Engine;

namespace BlitzScale.Grains.Serving.Live;

/// <summary>
/// A LiveNew instance's view of its LiveOld partner: where split requests' tails run. The grain implements it over the data
/// plane (the hidden states) and grain calls (the coordination); tests implement it in process.
/// </summary>
internal interface ILivePartner
{
    /// <summary>The partner's shard key: who pulls (<see cref="LiveServer.HandOver"/>).</summary>
    string Shard { get; }

    /// <summary>Runs layers [j, L) and the head of <paramref name="work"/>'s rows on the partner; returns the sampled token.</summary>
    Task<int> RunSplitAsync(SplitWork work, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a split request's keys and values of [0, j) to the partner, which runs the request whole from its next step on
    /// (steps without hidden states, <see cref="SplitWork.TokenId"/>). Returns once they are written there.
    /// </summary>
    Task MoveKvAsync(MovedKv move, CancellationToken cancellationToken);

    /// <summary>The request ended here: the partner frees its KV blocks for it. Never throws.</summary>
    Task EndSplitAsync(string requestId);

    /// <summary>This many requests have run every layer this instance has and wait to be pulled. Never throws.</summary>
    void Offer(int blocked);
}

/// <summary>The rows of hidden states a step hands over, copied out of the step's batch.</summary>
internal static class HiddenRows
{
    public static HiddenStates Copy(HiddenStates from, int firstRow, int rows)
    {
        var copy = new HiddenStates(rows, from.Width);
        from.Data.AsSpan(firstRow * from.Width, rows * from.Width).CopyTo(copy.Data);
        return copy;
    }
}
