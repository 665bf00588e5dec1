using System.Runtime.CompilerServices;
using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// The cluster's hosts and the silo each runs now, as the topology grain lists them (hosts whose silo membership has not
/// declared dead): read at most once per <see cref="Fresh"/> and shared by every stream of the process that waits, so a
/// thousand stalled streams cost one call a second (<see cref="StreamWatch"/>).
/// </summary>
internal sealed class ClusterHosts
{
    /// <summary>How long one reading serves before the next call asks again.</summary>
    internal static readonly TimeSpan Fresh = TimeSpan.FromSeconds(1);

    /// <summary>How long a reading may take: the topology grain's own silo may be the one that died.</summary>
    internal static readonly TimeSpan ReadLimit = TimeSpan.FromSeconds(2);

    private static readonly ConditionalWeakTable<IGrainFactory, ClusterHosts> OfFactory = [];

    private readonly Func<Task<IReadOnlyList<HostInfo>>> _read;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private Task<IReadOnlyDictionary<string, string>?>? _reading;
    private long _readAt;
    // The last reading that succeeded, and when a reading last found a silo gone (a host left, or runs another silo).
    private IReadOnlyDictionary<string, string>? _last;
    private long? _deathSeenAt;

    /// <param name="read">Reads the hosts (the topology grain's <see cref="ITopologyGrain.GetHosts"/>).</param>
    /// <param name="time">The clock of <see cref="Fresh"/> and <see cref="ReadLimit"/>.</param>
    public ClusterHosts(Func<Task<IReadOnlyList<HostInfo>>> read, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(time);
        _read = read;
        _time = time;
    }

    /// <summary>The one reader of <paramref name="grains"/>' cluster in this process.</summary>
    public static ClusterHosts Of(IGrainFactory grains) => OfFactory.GetValue(grains,
        static g => new ClusterHosts(() => g.GetGrain<ITopologyGrain>(GrainKeys.Cluster).GetHosts(), TimeProvider.System));

    /// <summary>Each listed host's silo address, from a reading at most <see cref="Fresh"/> old; null when the reading failed.</summary>
    public Task<IReadOnlyDictionary<string, string>?> Current()
    {
        lock (_gate)
        {
            if (_reading is null || _reading.IsCompleted && _time.GetElapsedTime(_readAt) >= Fresh)
            {
                _readAt = _time.GetTimestamp();
                _reading = Read();
            }
            return _reading;
        }
    }

    /// <summary>
    /// Whether a reading taken at or after <paramref name="timestamp"/> (of <see cref="TimeProvider.GetTimestamp"/> on this
    /// reader's clock) found a silo gone that the reading before it listed: a stream in flight then may have been carried by
    /// that silo as its caller's gateway.
    /// </summary>
    public bool DeathSeenSince(long timestamp)
    {
        lock (_gate) return _deathSeenAt is { } seen && seen >= timestamp;
    }

    /// <summary>
    /// Starts a reading unless one is fresh: every stream of the process calls it as it starts, so that the readings before a
    /// death know the silo that died. Without it the first reading was often taken only once streams had stalled, after
    /// membership had dropped the dead silo (in bench chaos the topology grain itself died with it), and no death was seen.
    /// </summary>
    public void KeepFresh() => _ = Current();

    /// <summary>Now, on this reader's clock (for <see cref="DeathSeenSince"/>).</summary>
    public long Now() => _time.GetTimestamp();

    private async Task<IReadOnlyDictionary<string, string>?> Read()
    {
        try
        {
            var hosts = await _read().WaitAsync(ReadLimit, _time).ConfigureAwait(false);
            var listed = hosts.ToDictionary(h => h.Host, h => h.SiloAddress, StringComparer.Ordinal);
            lock (_gate)
            {
                if (_last is not null && _last.Any(was => !listed.TryGetValue(was.Key, out var silo) || silo != was.Value)) _deathSeenAt = _time.GetTimestamp();
                _last = listed;
            }
            return listed;
        }
        catch (Exception e) when (ResumableGeneration.IsRuntimeFault(e, CancellationToken.None))
        {
            // No verdict: a stream is given up only on a reading that says its host is gone.
            return null;
        }
    }
}
