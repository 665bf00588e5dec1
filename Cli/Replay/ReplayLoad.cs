using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Replay;

/// <summary>
/// An instance that loaded during a replay, as the cluster's samples saw it: where it went, where its parameters came from
/// and how long they took (the shard's own figures), and when in the replay it was first seen loading and first serving.
/// </summary>
/// <param name="Shard">The instance's shard.</param>
/// <param name="Gpu">Its GPU.</param>
/// <param name="FirstSeenS">Seconds from the replay's start of the first sample that showed it (loading).</param>
/// <param name="ServingAtS">The first sample that showed it Serving or LiveOld (every layer landed); null if none did.</param>
/// <param name="LoadSeconds">Its transfers' time, start to last byte, as the shard reports it; 0 until it is known.</param>
/// <param name="LoadedFrom">Its feeds in words (e.g. "h1/gpu0 (Network)"); null until known.</param>
/// <param name="LoadedBytes">Bytes landed.</param>
/// <param name="LiveServed">What it did as a LiveNew with the requests it took while loading (<see cref="InstanceStatus.LiveServed"/>); null when it never served live.</param>
internal sealed record ReplayLoad(string Shard, string Gpu, double FirstSeenS, double? ServingAtS, double LoadSeconds, string? LoadedFrom, long LoadedBytes,
    string? LiveServed = null)
{
    /// <summary>Whether <paramref name="state"/> means every layer has landed.</summary>
    public static bool Serves(InstanceState state) => state is InstanceState.Serving or InstanceState.LiveOld;

    /// <summary>This load updated by a later sample of its instance: the shard's latest figures, the first serving time, its GPU if the first sample lacked it.</summary>
    public ReplayLoad With(InstanceStatus instance, double atS) => this with
    {
        Gpu = Gpu.Length > 0 ? Gpu : instance.Gpu,
        ServingAtS = ServingAtS ?? (Serves(instance.State) ? Math.Round(atS, 4) : null),
        LoadSeconds = instance.LoadSeconds > 0 ? Math.Round(instance.LoadSeconds, 3) : LoadSeconds,
        LoadedFrom = instance.LoadedFrom ?? LoadedFrom,
        LoadedBytes = Math.Max(LoadedBytes, instance.LoadedBytes),
        LiveServed = instance.LiveServed ?? LiveServed,
    };
}
