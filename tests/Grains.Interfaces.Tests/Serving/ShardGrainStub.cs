using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Interfaces.Tests.Serving;

/// <summary>A layer shard for client-side tests: every call is unsupported unless a test's subclass answers it.</summary>
internal abstract class ShardGrainStub : ILayerShardGrain
{
    public virtual Task<InstanceStatus> Load(ShardLoadRequest request) => throw new NotSupportedException();
    public virtual Task Begin() => throw new NotSupportedException();
    public virtual Task<InstanceStatus> GetStatus() => throw new NotSupportedException();
    public virtual IAsyncEnumerable<GenerationUpdate> Generate(GenerateRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public virtual Task<StreamPosition?> StreamProgress(string requestId) => throw new NotSupportedException();
    public virtual Task<InstanceStatus> SetWarm() => throw new NotSupportedException();
    public virtual Task<bool> Revive() => throw new NotSupportedException();
    public virtual Task Unload() => throw new NotSupportedException();
    public virtual Task<bool> Refeed(IReadOnlyList<LoadFeed> feeds) => throw new NotSupportedException();
    public virtual Task Evict() => throw new NotSupportedException();
    public virtual Task PairLive(LivePairing pairing) => throw new NotSupportedException();
    public virtual Task FinishLive(int openHere, int openOnPartner) => throw new NotSupportedException();
    public virtual Task EndLive() => throw new NotSupportedException();
    public virtual Task PartnerGone(string partner) => throw new NotSupportedException();
    public virtual Task<LivePull?> PullLive(int fromLayer, string puller) => throw new NotSupportedException();
    public virtual Task OfferLive(int blocked) => throw new NotSupportedException();
    public virtual Task<int> RunSplit(SplitStep step) => throw new NotSupportedException();
    public virtual Task MoveSplitKv(SplitKv kv) => throw new NotSupportedException();
    public virtual Task<string> ActivationAddress() => throw new NotSupportedException();
    public virtual Task EndSplit(string requestId) => throw new NotSupportedException();
    public virtual Task<string> GetSiloAddress() => throw new NotSupportedException();
}
