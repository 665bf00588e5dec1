namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// What happened to one request of <c>bench live</c>; times are seconds from the run's origin (the schedule's zero).
/// </summary>
/// <param name="Index">Its index in the schedule.</param>
/// <param name="Phase">The phase it arrived in.</param>
/// <param name="ArrivalS">When the schedule sent it.</param>
/// <param name="StartS">When the driver actually started it (≥ arrival; the difference is the driver's own lag).</param>
/// <param name="FirstTokenS">When its first token arrived; null when none did.</param>
/// <param name="EndS">When its stream ended (or it failed).</param>
/// <param name="Shard">The shard that served it (the first update names it); null when it never got one.</param>
/// <param name="Tokens">Tokens received.</param>
/// <param name="Error">Why it failed; null when it did not.</param>
internal sealed record LiveRequest(int Index, LivePhase Phase, double ArrivalS, double StartS, double? FirstTokenS, double EndS,
    string? Shard, int Tokens, string? Error)
{
    /// <summary>Arrival to first token, in seconds; null when it got none or failed.</summary>
    public double? TtftS => Error is null && FirstTokenS is { } first ? first - ArrivalS : null;
}

/// <summary>
/// One instance added at the burst: where, and when the client first saw it fully loaded (state Serving), in seconds
/// from the run's origin; its shard's own load figures beside, and what it served live while loading
/// (<c>InstanceStatus.LiveServed</c>; null when it never did).
/// </summary>
internal sealed record LiveNewInstance(int Instance, string Shard, string Gpu, double? ServingAtS, double LoadSeconds, string? LoadedFrom, long LoadedBytes,
    string? LiveServed = null);
