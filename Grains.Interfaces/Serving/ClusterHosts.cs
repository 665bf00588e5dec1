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

    private async Task<IReadOnlyDictionary<string, string>?> Read()
    {
        try
        {
            var hosts = await _read().WaitAsync(ReadLimit, _time).ConfigureAwait(false);
            return hosts.ToDictionary(h => h.Host, h => h.SiloAddress, StringComparer.Ordinal);
        }
        catch (Exception e) when (ResumableGeneration.IsRuntimeFault(e, CancellationToken.None))
        {
            // No verdict: a stream is given up only on a reading that says its host is gone.
            return null;
        }
    }
}
