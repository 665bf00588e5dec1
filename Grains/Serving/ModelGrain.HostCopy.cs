using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Scaling.Instances;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// The model's one host copy (blitz, blitz-fast): made at deploy on the host with the most memory left for copies (or beside a
/// GPU it loads faster than the network, <see cref="CopyHostChooser"/>), forgotten
/// when its host leaves the cluster (<see cref="SilosDied"/>), and made again from storage on a live host by the next load
/// that needs it — one that no GPU can feed.
/// </summary>
internal sealed partial class ModelGrain
{
    /// <summary>Each host's memory for model copies, asked of every host at once.</summary>
    private async Task<HostMemoryStatus[]> MemoryOf(IReadOnlyList<HostInfo> hosts) =>
        await Task.WhenAll(hosts.Select(h => HostMemory(h.Host).GetStatus()));

    /// <summary>Where a host copy made again goes (<see cref="CopyHostChooser"/>, no placement known): where most memory is left.</summary>
    private async Task<string> CopyHost(IReadOnlyList<HostInfo> hosts) => CopyHostChooser.Choose(hosts, await MemoryOf(hosts), placed: null, imageBytes: 0);

    /// <summary>
    /// Where a multicast scale-up's new instances go first: the hosts of <paramref name="senders"/> (a GPU beside a sender loads
    /// over NVLink: 0.30–0.54 s for bench replay's 438 MB on the testbed, against 1.17–1.44 s from the copy and 3.7 s over the
    /// network), then the fast host copy's host. Hosts in name order; none for the baselines, which load from host memory or storage.
    /// </summary>
    private IReadOnlyList<string> FastestHosts(IReadOnlyList<InstanceLifecycle> senders, IReadOnlyList<HostInfo> hosts)
    {
        if (_deployment is not { } deployment || !deployment.Policy.Multicasts()) return [];
        var beside = senders.Select(s => s.Host).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return [.. beside, .. FastCopyHost(hosts) is { } copy ? [copy] : Array.Empty<string>()];
    }

    /// <summary>The host copy's host when it loads its own GPUs faster than the network does: new instances go there first.</summary>
    private string? FastCopyHost(IReadOnlyList<HostInfo> hosts) =>
        _hostCopy is { } host && hosts.FirstOrDefault(h => h.Host == host) is { } info && PlanningInputs.Spec(info).CopiesFasterThanNic ? host : null;

    /// <summary>
    /// The host copy a load may use: the one there is, if it is on one of <paramref name="hosts"/>; else, with none, when no GPU can send and the
    /// policy keeps one host copy, a new one read from storage on a live host (the loads are fed from it while it fills, as at
    /// deploy); null when the load must not use one or none could be made (then it reads storage itself).
    /// </summary>
    private async Task<string?> HostCopyFor(IReadOnlyList<HostInfo> hosts, IReadOnlyCollection<InstanceLifecycle> senders, bool excludeHostCopy)
    {
        if (excludeHostCopy) return null;
        // A copy on a host these loads leave out (it left the cluster and SilosDied has not run yet, or it is suspected with a
        // lost source) feeds nobody: the planner would refuse the unknown host and the replan with it.
        if (_hostCopy is { } held && !hosts.Any(h => h.Host == held)) return null;
        var deployment = _deployment;
        if (_hostCopy is not null || senders.Count > 0 || deployment is null || !deployment.Policy.Multicasts()) return _hostCopy;
        try
        {
            string host = await CopyHost(hosts);
            await HostMemory(host).EnsureCopy(Model, deployment.Directory, null, deferFill: false);
            _hostCopy = host;
            LogHostCopyRebuilt(_logger, Model, host);
        }
        catch (Exception e) when (e is InvalidOperationException or OrleansException or TimeoutException)
        {
            LogHostCopyRebuildFailed(_logger, Model, e.Message);
        }
        return _hostCopy;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model} had no host copy and no GPU to load from: copying it from storage into the memory of {Host}")]
    private static partial void LogHostCopyRebuilt(ILogger logger, string model, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: the host copy could not be made again ({Reason}); loading from storage")]
    private static partial void LogHostCopyRebuildFailed(ILogger logger, string model, string reason);
}
