using BlitzScale.Grains.Interfaces.Keys;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace BlitzScale.Grains.Placement;

/// <summary>
/// Picks the silo whose metadata names the grain's host. It never calls grains: it reads the silo metadata
/// cache and the membership snapshot pushed to it, and the host hint in the request context.
/// </summary>
internal sealed class GpuHostPlacementDirector(ISiloMetadataCache metadata, IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        string key = target.GrainIdentity.Key.ToString()!;
        string host = HostOf(target, key);
        var candidates = context.GetCompatibleSilos(target);
        var snapshot = membership.CurrentSnapshot;
        foreach (var silo in candidates.OrderBy(s => s.ToString(), StringComparer.Ordinal))
        {
            if (!snapshot.Members.TryGetValue(silo, out var member) || member.Status != SiloStatus.Active) continue;
            if (HostOfSilo(silo, member.Name) == host) return Task.FromResult(silo);
        }
        var known = candidates.Select(s => snapshot.Members.TryGetValue(s, out var m) ? HostOfSilo(s, m.Name) : null)
            .Where(h => h is not null).Distinct().Order(StringComparer.Ordinal);
        throw new OrleansException(
            $"cannot place {target.GrainIdentity.Type} \"{key}\": host \"{host}\" has no active silo in the cluster " +
            $"(hosts with silos: {string.Join(", ", known)})");
    }

    private static string HostOf(PlacementTarget target, string key)
    {
        if (HostMemoryKey.TryParse(key, out var memory)) return memory.Host;
        if (GpuKey.TryParse(key, out var gpu)) return gpu.Host;
        // Shards are placed where the caller says (their GPU is not in their key).
        if (target.RequestContextData?.TryGetValue(HostContext.Key, out var hint) == true && hint is string host)
            return host;
        throw new OrleansException(
            $"cannot place {target.GrainIdentity.Type} \"{key}\": it must run on a GPU host, and the call that activated it " +
            $"named none (set {nameof(HostContext)} before the first call)");
    }

    // The metadata cache fills asynchronously as silos join; until it has a silo, its name stands for its host.
    private string HostOfSilo(SiloAddress silo, string name) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(HostContext.Key, out var host) ? host : name;
}
