using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Scaling.Instances;
using Microsoft.Extensions.Logging;
using InstanceState = BlitzScale.Scaling.Instances.InstanceState;
using Wire = BlitzScale.Grains.Interfaces.Serving.InstanceState;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// The deployment outlives the model grain's silo: every change of state is written to the grid's storage
/// (<see cref="Hosting.GridStorage"/>), and a new activation reads it back and keeps only the instances whose shards still
/// hold the model (asked, not assumed), then restores the count asked for.
/// </summary>
internal sealed partial class ModelGrain
{
    private Task _saving = Task.CompletedTask;
    private bool _unsaved;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        WatchMembership();
        await Reconcile();
    }

    /// <summary>Writes the state soon (one write at a time; changes made meanwhile go in the next).</summary>
    private void SaveSoon()
    {
        _unsaved = true;
        if (_saving.IsCompleted) _saving = SaveWhileChanged();
    }

    /// <summary>Writes the state now and returns once it is stored.</summary>
    private async Task Saved()
    {
        SaveSoon();
        await _saving;
    }

    private async Task SaveWhileChanged()
    {
        while (_unsaved)
        {
            _unsaved = false;
            var record = _record.State;
            List<InstanceRecord> instances = [.. _instances.All.Where(i => i.State is not (InstanceState.Inactive or InstanceState.Failed)).Select(i =>
                new InstanceRecord(i.Index, i.Shard, i.Gpu, i.Host, InstanceStates.ToWire(i.State),
                    i.State == InstanceState.Draining ? _warmAfterDrain.GetValueOrDefault(i.Index, true) : null))];
            int wanted = _deployment is null ? 0 : _wanted;
            // Most changes are layers landing, which the record does not hold: only a changed record is written.
            if (_record.RecordExists && record.Deployment == _deployment && record.Wanted == wanted && record.NextInstance == _nextInstance
                && record.HostCopy == _hostCopy && record.Instances.SequenceEqual(instances))
                continue;
            record.Deployment = _deployment;
            record.Wanted = wanted;
            record.NextInstance = _nextInstance;
            record.HostCopy = _hostCopy;
            record.Instances = instances;
            try
            {
                await _record.WriteStateAsync();
            }
            catch (Exception e)
            {
                LogSaveFailed(_logger, Model, e);
            }
        }
    }

    /// <summary>Takes back a deployment written by an earlier activation: the instances whose shards still hold the model.</summary>
    private async Task Reconcile()
    {
        var record = _record.State;
        _nextInstance = Math.Max(_nextInstance, record.NextInstance);
        if (record.Deployment is not { } deployment) return;
        _deployment = deployment;
        _wanted = record.Wanted;
        DelayDeactivation(TimeSpan.FromDays(3650));
        var alive = (await GrainFactory.GetGrain<Interfaces.Topology.ITopologyGrain>(GrainKeys.Cluster).GetHosts())
            .Select(h => h.Host).ToHashSet(StringComparer.Ordinal);
        _hostCopy = record.HostCopy is { } copy && alive.Contains(copy) ? copy : null;
        var refeeds = new List<(InstanceLifecycle Instance, string LostSource)>();
        foreach (var saved in record.Instances)
        {
            var instance = _instances.Add(saved.Index, saved.Shard, saved.Gpu, saved.Host, deployment.Image.NumLayers);
            string? lost = alive.Contains(saved.Host) ? await Adopt(instance, saved, refeeds) : $"its host {saved.Host} has no silo";
            if (lost is not null) Lose(instance, lost);
        }
        // Before the count is restored: an instance planned again keeps its GPU and is not missing.
        foreach (var (instance, lostSource) in refeeds) await Replan(instance, lostSource);
        LogReconciled(_logger, Model, _instances.All.Count(i => i.IsActive), record.Instances.Count);
        await GrainFactory.GetGrain<IModelRegistryGrain>(GrainKeys.Cluster).Add(Model);
        Changed();
        // The autoscaler runs again where the deployment asked for one; it restores the capacity the lost instances had. The count
        // may be past its range (a Scale beyond it was accepted): not an error here, or every call to the model would fail with it.
        StartAutoscaler(deployment.Autoscale, Math.Max(_wanted, _instances.All.Count(i => i.IsActive)), checkInstances: false);
        await RestoreCount();
        await Saved();
    }

    // Puts a saved instance back in the state its shard and its record say; returns why not, if not. A load that lost its
    // source and kept what landed goes to refeeds, to be planned again from there.
    private async Task<string?> Adopt(InstanceLifecycle instance, InstanceRecord saved, List<(InstanceLifecycle, string)> refeeds)
    {
        InstanceStatus report;
        try
        {
            report = await Calls.Status(instance).WaitAsync(ProbeLimit);
        }
        catch (Exception e)
        {
            return $"its shard cannot be reached: {e.Message}";
        }
        switch (report.State)
        {
            case Wire.Loading:
                _instances.StartLoading(instance.Index);
                if (report.LoadedLayers > 0) _instances.LayersLanded(instance.Index, report.LoadedLayers);
                if (report.LoadedTailLayers > 0) _instances.TailLayersLanded(instance.Index, report.LoadedTailLayers);
                // Nor is a LiveTail's pair: it stops pulling, and the tails it holds finish.
                if (saved.State == Wire.LiveTail) await EndLive(instance);
                break;
            case Wire.Serving:
                _instances.StartLoading(instance.Index);
                Loaded(instance);
                // A live pair is not restored: the partner that pulled from it stops, and the pair's requests finish.
                if (saved.State == Wire.LiveOld) await EndLive(instance);
                if (saved.State is Wire.Draining or Wire.Warm)
                {
                    _instances.Drain(instance.Index);
                    if (saved.State == Wire.Warm) _instances.Drained(instance.Index);
                    else _warmAfterDrain[instance.Index] = saved.WarmAfterDrain ?? true;
                }
                break;
            case Wire.Failed when report.LostSource is { } lostSource:
                // Its source died, and with it the silo this grain lived on (bench chaos: the shard's report went to the dead
                // activation, and dropping it here reloaded the whole image 14 s later). The shard kept what landed.
                _instances.StartLoading(instance.Index);
                if (report.LoadedLayers > 0) _instances.LayersLanded(instance.Index, report.LoadedLayers);
                Failed(instance, report.Error ?? "its source was lost");
                refeeds.Add((instance, lostSource));
                break;
            case Wire.Failed:
                await UnloadQuietly(instance);
                return $"its shard failed: {report.Error}";
            default:
                return "its shard no longer holds the model";
        }
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: writing its state failed")]
    private static partial void LogSaveFailed(ILogger logger, string model, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} activated again from its stored state: {Active} of {Saved} saved instance(s) still hold it")]
    private static partial void LogReconciled(ILogger logger, string model, int active, int saved);
}
