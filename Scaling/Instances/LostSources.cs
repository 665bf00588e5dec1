using BlitzScale.Scaling.Planning;

namespace BlitzScale.Scaling.Instances;

/// <summary>
/// The sources one new instance's load has lost mid-transfer, how often it was planned again, and so what it may not be
/// planned from again. Pure. Every source lost so far stays out, not only the last one. A lost source that held the whole
/// model (a GPU that could send, or a host copy) takes every source of its host out with it: feeds reach a host's GPUs and
/// its copy through that host's one data plane, and a host that dropped one of them mid-transfer has most likely died with
/// all of them, seconds before membership says so. A lost source that was itself loading (an earlier node of a chain, which
/// fails on to the nodes after it when it loses its own source) is left out alone: its host's other sources may be sound.
/// </summary>
public sealed class LostSources
{
    private readonly HashSet<string> _sources = new(StringComparer.Ordinal);
    private readonly HashSet<string> _hosts = new(StringComparer.Ordinal);

    /// <summary>How many times the load was planned again.</summary>
    public int Replans { get; private set; }

    /// <summary>The hosts whose every source is left out, in name order.</summary>
    public IReadOnlyList<string> Hosts => [.. _hosts.Order(StringComparer.Ordinal)];

    /// <summary>Records a lost source.</summary>
    /// <param name="source">The lost feed's source: a GPU key or a host-copy endpoint (<see cref="TransferPlan.HostCopyEndpoint"/>).</param>
    /// <param name="holders">The instances that could send when the loss was reported (they hold the whole model).</param>
    public void Lost(string source, IEnumerable<InstanceLifecycle> holders)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        _sources.Add(source);
        if (TransferPlan.HostOfHostCopy(source) is { } copyHost) _hosts.Add(copyHost);
        else if (holders.FirstOrDefault(h => h.Gpu == source) is { } holder) _hosts.Add(holder.Host);
    }

    /// <summary>The load was planned again.</summary>
    public void Replanned() => Replans++;

    /// <summary>The instances of <paramref name="holders"/> the load may still be planned from.</summary>
    public IReadOnlyList<InstanceLifecycle> Senders(IEnumerable<InstanceLifecycle> holders) =>
        [.. holders.Where(h => !_sources.Contains(h.Gpu) && !_hosts.Contains(h.Host))];

    /// <summary>Whether the host copy on <paramref name="copyHost"/> (null: none) must not feed the load.</summary>
    public bool ExcludesHostCopy(string? copyHost) => copyHost is not null && _hosts.Contains(copyHost);
}
