using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Scaling.Autoscaling;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// The model grain's side of the autoscaler (<see cref="Autoscaler"/>): a grain timer reads the instances' shards each tick,
/// feeds their signals to the policy, and carries out what it decides through the same paths an operator's scale takes
/// (<see cref="ScaleUp"/> reviving Warm instances first; <see cref="Stop"/> draining into Warm, no request aborted). Every
/// decision that changes the instances is a <see cref="ModelEventKind.Scaled"/> event and is kept for the status.
/// </summary>
internal sealed partial class ModelGrain
{
    // Decisions the status shows, newest last.
    private const int KeptDecisions = 20;
    private readonly Queue<ScalingRecord> _decisions = new();
    private Autoscaler? _autoscaler;
    private IGrainTimer? _autoscaleTimer;
    // One tick at a time: a held request may run one between the timer's.
    private bool _autoscaling;
    // Why the last scale-up failed (no free GPU…); a held request fails with it instead of waiting in vain.
    private string? _scaleUpError;

    private bool Autoscaled => _autoscaler is not null;

    private void StartAutoscaler(AutoscaleSettings? settings, int instances, bool checkInstances = true)
    {
        if (settings is null) return;
        var options = AutoscaleSettingsMap.ToOptions(settings, instances, checkInstances);
        _autoscaler = new Autoscaler(options, _time);
        _autoscaleTimer = this.RegisterGrainTimer(AutoscaleTick, new GrainTimerCreationOptions(options.TickInterval, options.TickInterval) { Interleave = true });
    }

    private void StopAutoscaler()
    {
        _autoscaleTimer?.Dispose();
        _autoscaleTimer = null;
        _autoscaler = null;
        _scaleUpError = null;
        _decisions.Clear();
    }

    private IReadOnlyList<ScalingRecord>? ScalingRecords => Autoscaled ? [.. _decisions] : null;

    private AutoscaleSettings? AutoscaleInEffect => _autoscaler is { } a ? AutoscaleSettingsMap.ToSettings(a.Options) : null;

    private Task AutoscaleTick(CancellationToken cancellation) => Autoscale();

    /// <summary>One tick: read the instances, decide, carry the decision out. Skipped while another tick runs.</summary>
    private async Task Autoscale()
    {
        if (_autoscaler is not { } autoscaler || _deployment is null || _autoscaling) return;
        _autoscaling = true;
        try
        {
            var reports = await Observe(_instances.All);
            // The instances as the reading left them: it may have dropped some, finished loads or failed them.
            var signals = AutoscaleSignals.Of(_instances.All, reports, _replanning, _unreachable);
            if (!ReferenceEquals(autoscaler, _autoscaler)) return;
            var decision = autoscaler.Decide(signals, _waiting.Count, HeldKvBlocks, _waiting.PromptTokens);
            if (decision.Action != ScalingAction.None) await CarryOut(decision);
            foreach (int index in autoscaler.ExpiredWarm(signals)) await Release(index, autoscaler.Options.WarmKeep);
        }
        catch (Exception e)
        {
            LogAutoscaleFailed(_logger, Model, e);
        }
        finally
        {
            _autoscaling = false;
        }
    }

    private async Task CarryOut(ScalingDecision decision)
    {
        string? error = null;
        try
        {
            if (decision.Action == ScalingAction.Up)
            {
                await ScaleUp(await Hosts(), decision.Count, gpus: null, sources: null, revive: true);
                _scaleUpError = null;
            }
            else if (decision.Drain is { } index && _instances.Find(index) is { } instance)
            {
                await Stop(instance, keepWarm: true);
                await FinishDrains();
            }
        }
        catch (Exception e)
        {
            error = e.Message;
            if (decision.Action == ScalingAction.Up) _scaleUpError = e.Message;
        }
        finally
        {
            Changed();
        }
        string action = decision.Action.ToString().ToLowerInvariant();
        Record(action, decision.From, decision.To, decision.Reason, decision.Signals.ToString(), error);
        LogScaled(_logger, Model, action, decision.From, decision.To, decision.Reason, decision.Signals.ToString(), error ?? "-");
        ModelEvents.PublishInOrder(this, new ModelEvent
        {
            Kind = ModelEventKind.Scaled, Model = Model, ScaledFrom = decision.From, ScaledTo = decision.To,
            Detail = $"{action} {decision.From} → {decision.To}: {decision.Reason}; {decision.Signals}" + (error is null ? "" : $"; failed: {error}"),
        });
    }

    /// <summary>A Warm instance kept past the keep: its shard unloads and its GPU is free again.</summary>
    private async Task Release(int index, TimeSpan keep)
    {
        if (_instances.Find(index) is not { State: Scaling.Instances.InstanceState.Warm } instance) return;
        Forget(instance);
        await UnloadQuietly(instance);
        Changed();
        string reason = $"Warm for {keep.TotalMilliseconds:F0} ms: {instance.Gpu} released";
        int active = _instances.All.Count(i => i.IsActive);
        Record("release", active, active, reason, "-", null);
        ModelEvents.PublishInOrder(this, new ModelEvent { Kind = ModelEventKind.Scaled, Model = Model, Shard = instance.Shard, Gpu = instance.Gpu, Detail = $"release: {reason}" });
    }

    private void Record(string action, int from, int to, string reason, string signals, string? error)
    {
        _decisions.Enqueue(new ScalingRecord(_time.GetUtcNow(), action, from, to, reason, signals, error));
        while (_decisions.Count > KeptDecisions) _decisions.Dequeue();
    }

    /// <summary>
    /// A request found no instance taking requests on an autoscaled model: the autoscaler decides now (reviving or loading
    /// one) instead of at its next tick. True when an instance is now active; throws when none is and the last scale-up failed.
    /// </summary>
    private async Task<bool> HoldForAutoscaler(string reason)
    {
        await Autoscale();
        if (_instances.All.Any(i => i.IsActive)) return true;
        if (_scaleUpError is { } error)
            throw new InvalidOperationException($"model \"{Model}\": no instance takes requests and the autoscaler could not add one ({error}); {reason}");
        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} autoscaler: {Action} {From} → {To}: {Reason}; {Signals} (error: {Error})")]
    private static partial void LogScaled(ILogger logger, string model, string action, int from, int to, string reason, string signals, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: an autoscaler tick failed")]
    private static partial void LogAutoscaleFailed(ILogger logger, string model, Exception error);
}
