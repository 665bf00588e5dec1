using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Scaling.Instances;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using InstanceState = BlitzScale.Scaling.Instances.InstanceState;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// Silos that die under the model: membership says so, and the instances on their hosts leave the state machine and the
/// router at once; then the configured count is restored on the GPUs left. A request that finds its instance gone first
/// (<see cref="Resume"/>) makes the model grain ask the shard, so it need not wait for membership's verdict.
/// </summary>
internal sealed partial class ModelGrain
{
    // How long the shard of a lost request has to answer before it counts as gone.
    private static readonly TimeSpan ProbeLimit = TimeSpan.FromSeconds(10);
    private CancellationTokenSource? _membershipWatch;
    // Instances the deployment asks for (Deploy, Scale): what a lost host's instances are restored to.
    private int _wanted;
    // Silos whose death membership reported and whose hosts' instances are not yet dropped (the reaction failed).
    private readonly List<string> _deathsToHandle = [];

    /// <summary>How long after a failed restore it is tried again (a placement or a load refused while membership settles).</summary>
    internal static readonly TimeSpan RestoreRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long after a failed reaction to a silo's death it is tried again: the topology grain it reads may be unreachable
    /// for a moment while the grain directory moves off the dead silo (a cancellation by the runtime, seen in a whole-suite run).
    /// </summary>
    internal static readonly TimeSpan MembershipRetryDelay = TimeSpan.FromSeconds(1);

    // A restore runs one at a time, goes round again if asked meanwhile, and is retried after a failure.
    private RetriedReaction Restorer => field ??= new RetriedReaction(async () =>
    {
        if (_deployment is not null && !Autoscaled) await RestoreOnce();
    }, RestoreRetryDelay, _time, e => LogRestoreFailed(_logger, Model, RestoreRetryDelay.TotalSeconds, e));

    // Dropping a dead silo's instances, then restoring the count: a failure is retried, not forgotten (the dead silo is not
    // reported again).
    private RetriedReaction MembershipReaction => field ??= new RetriedReaction(async () =>
    {
        if (_deployment is null) return;
        if (_deathsToHandle.Count > 0)
        {
            var silos = _deathsToHandle.ToList();
            await SilosDied(silos);
            _deathsToHandle.RemoveAll(silos.Contains);
        }
        await RestoreCount();
        // A host that joined or left may change where the host copy should be (the keeper's judgement keys on the hosts it saw).
        _copyJudged = null;
        KeepCopySoon();
    }, MembershipRetryDelay, _time, e => LogMembershipReactionFailed(_logger, Model, MembershipRetryDelay.TotalSeconds, e));

    public Task<RouteDecision> Resume(long lostTicket, string lostShard, long estimatedTokens, long promptTokens, Guid wait = default) =>
        Held(wait, () => Resume(lostTicket, lostShard, estimatedTokens, promptTokens));

    private async Task<RouteDecision> Resume(long lostTicket, string lostShard, long estimatedTokens, long promptTokens)
    {
        _router.Release(lostTicket);
        if (_deployment is null) throw NotDeployed();
        if (_instances.FindByShard(lostShard) is { } instance && instance.State is not (InstanceState.Inactive or InstanceState.Failed))
            await Probe(instance);
        await FinishDrains();
        // It has waited since it was first routed: it goes ahead of the requests waiting for a seat.
        return await Route(estimatedTokens, promptTokens, ahead: true);
    }

    private void WatchMembership()
    {
        _membershipWatch = new CancellationTokenSource();
        var membership = ServiceProvider.GetRequiredService<IClusterMembershipService>();
        // Started from the activation's turn: the loop runs on the activation's scheduler, between its calls.
        _ = Watch(membership, _membershipWatch.Token);
    }

    private void StopWatchingMembership() => _membershipWatch?.Cancel();

    private async Task Watch(IClusterMembershipService membership, CancellationToken cancellationToken)
    {
        var dead = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress).ToHashSet();
        var active = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToHashSet();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                var died = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && dead.Add(m.SiloAddress)).ToList();
                bool joined = snapshot.Members.Values.Any(m => m.Status == SiloStatus.Active && active.Add(m.SiloAddress));
                if (_deployment is null || died.Count == 0 && !joined) continue;
                _deathsToHandle.AddRange(died.Select(m => m.SiloAddress.ToString()));
                await MembershipReaction.Run();
            }
        }
        catch (OperationCanceledException)
        {
            // The activation is going away.
        }
    }

    /// <summary>
    /// Drops the instances on hosts that no longer have a silo: the topology leaves those hosts out, and a host it still lists
    /// with one of <paramref name="silos"/> is gone too (<see cref="HostsAlive.Names"/>).
    /// </summary>
    private async Task SilosDied(IReadOnlyList<string> silos)
    {
        var alive = HostsAlive.Names(await Hosts(), silos);
        foreach (var instance in _instances.All.Where(i => !alive.Contains(i.Host)).ToList())
            Lose(instance, $"its host {instance.Host} left the cluster (silo {string.Join(", ", silos)} died)");
        if (_hostCopy is { } copy && !alive.Contains(copy)) _hostCopy = null;
        Changed();
    }

    /// <summary>Asks the shard of a lost request whether it still serves; drops it when it cannot answer or holds nothing.</summary>
    private async Task Probe(InstanceLifecycle instance)
    {
        try
        {
            var report = await Calls.Status(instance).WaitAsync(ProbeLimit);
            if (_instances.Find(instance.Index) is null) return;
            if (report.State == Interfaces.Serving.InstanceState.Inactive) Lose(instance, "its shard no longer holds the model");
            else if (report.State == Interfaces.Serving.InstanceState.Failed) Failed(instance, report.Error ?? "failed");
            else return;
        }
        catch (Exception e)
        {
            if (_instances.Find(instance.Index) is null) return;
            Lose(instance, $"its shard cannot be reached: {e.Message}");
        }
        Changed();
        await RestoreCount();
    }

    private void Lose(InstanceLifecycle instance, string reason)
    {
        LogInstanceLost(_logger, instance.Shard, reason);
        Forget(instance);
    }

    /// <summary>
    /// Loads new instances until the deployment has the count it asked for, on free GPUs of live hosts; as many as fit now
    /// (the rest when a silo joins).
    /// </summary>
    private Task RestoreCount() => _deployment is null || Autoscaled ? Task.CompletedTask : Restorer.Run();

    private async Task RestoreOnce()
    {
        // An instance being planned again after a lost source keeps its GPU and comes back: it is not missing.
        int missing = _wanted - _instances.All.Count(i => i.IsActive || _replanning.Contains(i.Index));
        if (missing <= 0) return;
        var hosts = await Hosts();
        var live = hosts.Select(h => h.Host).ToHashSet(StringComparer.Ordinal);
        // A Failed instance's GPU counts as free: the scale-up replaces it there.
        int free = hosts.Sum(h => h.Gpus) - _instances.All.Count(i => live.Contains(i.Host) && !Replaceable(i));
        int count = Math.Min(missing, free);
        if (count <= 0)
        {
            LogRestoreWaits(_logger, Model, missing);
            return;
        }
        await ScaleUp(hosts, count, gpus: null, sources: null, revive: true);
        LogRestored(_logger, Model, count, _wanted);
        Changed();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {Shard} dropped: {Reason}")]
    private static partial void LogInstanceLost(ILogger logger, string shard, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: {Count} instance(s) loading to restore the {Wanted} asked for")]
    private static partial void LogRestored(ILogger logger, string model, int count, int wanted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: restoring the instance count failed; trying again in {Seconds} s")]
    private static partial void LogRestoreFailed(ILogger logger, string model, double seconds, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: {Missing} instance(s) short and no free GPU; restoring when a silo joins")]
    private static partial void LogRestoreWaits(ILogger logger, string model, int missing);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: reacting to a membership change failed; trying again in {Seconds} s")]
    private static partial void LogMembershipReactionFailed(ILogger logger, string model, double seconds, Exception error);
}
