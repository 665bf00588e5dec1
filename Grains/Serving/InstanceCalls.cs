using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Placement;
using BlitzScale.Scaling.Instances;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// The model grain's calls to its instances' shards, each made with the instance's host in the request context (so a
/// shard is only ever placed on the silo of its GPU).
/// </summary>
internal sealed class InstanceCalls(IGrainFactory grains)
{
    public Task<InstanceStatus> Load(InstanceLifecycle instance, ShardLoadRequest request) =>
        HostContext.On(instance.Host, () => Shard(instance).Load(request));

    public Task Begin(InstanceLifecycle instance) => HostContext.On(instance.Host, async () => { await Shard(instance).Begin(); return 0; });

    public Task<InstanceStatus> Status(InstanceLifecycle instance) => HostContext.On(instance.Host, () => Shard(instance).GetStatus());

    public Task SetWarm(InstanceLifecycle instance) => HostContext.On(instance.Host, async () => { await Shard(instance).SetWarm(); return 0; });

    /// <summary>False when the shard no longer holds its parameters (it was evicted).</summary>
    public Task<bool> Revive(InstanceLifecycle instance) => HostContext.On(instance.Host, () => Shard(instance).Revive());

    public Task<bool> Refeed(InstanceLifecycle instance, IReadOnlyList<LoadFeed> feeds) => HostContext.On(instance.Host, () => Shard(instance).Refeed(feeds));

    public Task Unload(InstanceLifecycle instance) => HostContext.On(instance.Host, async () => { await Shard(instance).Unload(); return 0; });

    public Task PairLive(InstanceLifecycle instance, LivePairing pairing) =>
        HostContext.On(instance.Host, async () => { await Shard(instance).PairLive(pairing); return 0; });

    public Task EndLive(InstanceLifecycle instance) => HostContext.On(instance.Host, async () => { await Shard(instance).EndLive(); return 0; });

    public Task FinishLive(InstanceLifecycle old, int openHere, int openOnPartner) =>
        HostContext.On(old.Host, async () => { await Shard(old).FinishLive(openHere, openOnPartner); return 0; });

    public Task PartnerGone(InstanceLifecycle instance, string partner) =>
        HostContext.On(instance.Host, async () => { await Shard(instance).PartnerGone(partner); return 0; });

    private ILayerShardGrain Shard(InstanceLifecycle instance) => grains.GetGrain<ILayerShardGrain>(instance.Shard);
}
