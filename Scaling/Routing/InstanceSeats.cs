namespace BlitzScale.Scaling.Routing;

/// <summary>
/// What one instance can run at once, for late binding (<see cref="RequestRouter.SetSeats"/>): its KV blocks, their size in
/// positions, and its running-sequence limit. Its batcher reserves a request's blocks for the prompt and every token it may
/// generate when it admits it, so a request's seat is the blocks its estimate (prompt and max tokens) needs.
/// </summary>
/// <param name="KvBlocks">KV blocks of the instance (≥ 1).</param>
/// <param name="BlockSize">Positions per block (≥ 1).</param>
/// <param name="MaxRequests">Requests it runs at once (≥ 1).</param>
public readonly record struct InstanceSeats(int KvBlocks, int BlockSize, int MaxRequests)
{
    /// <summary>Blocks a request estimated at <paramref name="tokens"/> (prompt and generation) reserves.</summary>
    public long BlocksFor(long tokens) => (Math.Max(tokens, 1) + BlockSize - 1) / BlockSize;

    /// <summary>Checks the ranges, naming the offending value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is below 1.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(KvBlocks, 1, nameof(KvBlocks));
        ArgumentOutOfRangeException.ThrowIfLessThan(BlockSize, 1, nameof(BlockSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequests, 1, nameof(MaxRequests));
    }
}
