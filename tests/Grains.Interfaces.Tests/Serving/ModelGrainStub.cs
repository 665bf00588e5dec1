using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Interfaces.Tests.Serving;

/// <summary>A model grain for client-side tests: every call is unsupported unless a test's subclass answers it.</summary>
internal abstract class ModelGrainStub : IModelGrain
{
    public virtual Task<ModelStatus> Deploy(DeployRequest request) => throw new NotSupportedException();
    public virtual Task<ModelStatus> Scale(ScaleRequest request) => throw new NotSupportedException();
    public virtual Task Undeploy() => throw new NotSupportedException();
    public virtual Task<ModelStatus> GetStatus() => throw new NotSupportedException();
    public virtual Task<RouteDecision> Route(long estimatedTokens, long promptTokens, Guid wait) => throw new NotSupportedException();
    public virtual Task<RouteDecision> Resume(long lostTicket, string lostShard, long estimatedTokens, long promptTokens, Guid wait) => throw new NotSupportedException();
    public virtual Task<bool> Holds(Guid wait) => throw new NotSupportedException();
    public virtual Task Release(long ticket) => throw new NotSupportedException();
    public virtual Task Started(long ticket) => throw new NotSupportedException();
    public virtual Task HandedOver(long ticket, string shard) => throw new NotSupportedException();
    public virtual Task Report(ModelEvent shardEvent) => throw new NotSupportedException();
    public virtual Task Reachable() => throw new NotSupportedException();
}
