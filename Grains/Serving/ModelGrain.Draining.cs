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
        await Task.Delay(limit, _time);
        if (_drainClocks.GetValueOrDefault(index) != clock) return;
        _drainClocks.Remove(index);
        if (_instances.Find(index) is not { State: InstanceState.Draining } instance || instance.Shard != shard) return;
        LogDrainTimedOut(_logger, shard, _router.OpenRequests(index), limit.TotalSeconds);
        Forget(instance);
        await UnloadQuietly(instance);
        Changed();
        DrainProgressed();
    }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {Shard} still had {Requests} request(s) after draining {Seconds} s: unloading it; they resume elsewhere")]
    private static partial void LogDrainTimedOut(ILogger logger, string shard, int requests, double seconds);
}
