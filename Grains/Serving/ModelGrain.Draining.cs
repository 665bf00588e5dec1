using BlitzScale.Scaling.Instances;
using Microsoft.Extensions.Logging;
using InstanceState = BlitzScale.Scaling.Instances.InstanceState;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// Stopping without aborting: a Draining instance lets its requests finish for the deployment's drain time; then it is
/// unloaded, and the requests still running on it resume on another instance (the caller's generate loop does that when
/// its stream reports the instance lost). Undeploy drains every instance the same way before it unloads them.
/// </summary>
internal sealed partial class ModelGrain
{
    // How often a drain clock checks its instance for tickets nobody will hand back, and how long into the drain it starts
    // (a request routed just before the drain reaches its shard within milliseconds).
    private static readonly TimeSpan StrayTicketCheck = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StrayTicketGrace = TimeSpan.FromSeconds(2);
    // Which drain of an instance a clock belongs to: a revived and again drained instance gets a new clock.
    private readonly Dictionary<int, int> _drainClocks = [];
    private int _lastDrainClock;
    private TaskCompletionSource _drainProgress = NewSignal();

    /// <summary>Starts the drain time of an instance that just turned Draining.</summary>
    private void StartDrainClock(InstanceLifecycle instance)
    {
        int clock = ++_lastDrainClock;
        _drainClocks[instance.Index] = clock;
        // Started from a grain turn: the wait ends on the activation's scheduler.
        _ = DrainDeadline(instance.Index, instance.Shard, clock, TimeSpan.FromSeconds(_deployment!.DrainSeconds));
    }

    private async Task DrainDeadline(int index, string shard, int clock, TimeSpan limit)
    {
        long started = _time.GetTimestamp();
        while (_time.GetElapsedTime(started) < limit)
        {
            var left = limit - _time.GetElapsedTime(started);
            await Task.Delay(left < StrayTicketCheck ? left : StrayTicketCheck, _time);
            if (_drainClocks.GetValueOrDefault(index) != clock) return;
            if (_time.GetElapsedTime(started) >= StrayTicketGrace && await ReleaseStrayTickets(index, shard)) return;
        }
        if (_drainClocks.GetValueOrDefault(index) != clock) return;
        _drainClocks.Remove(index);
        if (_instances.Find(index) is not { State: InstanceState.Draining } instance || instance.Shard != shard) return;
        LogDrainTimedOut(_logger, shard, _router.OpenRequests(index), limit.TotalSeconds);
        Forget(instance);
        await UnloadQuietly(instance);
        Changed();
        DrainProgressed();
    }

    /// <summary>
    /// A Draining instance whose router count still holds requests while its shard has no request waiting or running and no
    /// caller reading a stream: those tickets will never be handed back (a client that died after its route, a release that
    /// never arrived), and without this the drain would wait out its whole time for them. They are dropped and the drain
    /// finishes now. True when it did.
    /// </summary>
    private async Task<bool> ReleaseStrayTickets(int index, string shard)
    {
        if (_instances.Find(index) is not { State: InstanceState.Draining } instance || instance.Shard != shard) return false;
        int open = _router.OpenRequests(index);
        if (open == 0) return false;
        if (await StatusOrNull(instance) is not { } report || !HoldsNoRequest(report)) return false;
        if (_instances.Find(index) is not { State: InstanceState.Draining } still || still.Shard != shard) return false;
        LogStrayTickets(_logger, shard, open);
        _router.DropInstance(index);
        _drainClocks.Remove(index);
        await FinishDrains();
        return true;
    }

    // A shard with nothing waiting or running and no caller reading a stream: a ticket the router still counts there is stray.
    private static bool HoldsNoRequest(Interfaces.Serving.InstanceStatus report) => report is { Waiting: 0, Running: 0, OpenStreams: 0 };

    /// <summary>FinishDrains or a drain clock moved some instance on from Draining.</summary>
    private void DrainProgressed()
    {
        var progress = _drainProgress;
        _drainProgress = NewSignal();
        progress.TrySetResult();
    }

    /// <summary>
    /// Undeploy's first step: every active instance stops taking requests (loading ones are unloaded at once), and this
    /// returns once the serving ones have no request left, or after the drain time (then the rest are cut, and resume
    /// nowhere: the model is going away).
    /// </summary>
    private async Task DrainAll()
    {
        if (_deployment is not { } deployment) return;
        foreach (var instance in _instances.All.Where(i => i.IsActive).OrderByDescending(i => i.Index).ToList())
            await Stop(instance, keepWarm: false);
        await FinishDrains();
        var limit = TimeSpan.FromSeconds(deployment.DrainSeconds);
        long started = _time.GetTimestamp();
        while (_instances.All.Any(i => i.State == InstanceState.Draining))
        {
            var left = limit - _time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero) break;
            await _drainProgress.Task.WaitAsync(left, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {Shard} drains with nothing waiting, running or streaming, yet the router counted {Requests} open request(s) on it: dropped (their callers never handed them back)")]
    private static partial void LogStrayTickets(ILogger logger, string shard, int requests);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {Shard} still had {Requests} request(s) after draining {Seconds} s: unloading it; they resume elsewhere")]
    private static partial void LogDrainTimedOut(ILogger logger, string shard, int requests, double seconds);
}
