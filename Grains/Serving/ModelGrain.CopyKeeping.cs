using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Scaling.Caching;
using InstanceState = BlitzScale.Scaling.Instances.InstanceState;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// Keeps the one host copy (blitz, blitz-fast) where one host's death cannot take the whole model (<see cref="CopyKeeper"/>):
/// judged again whenever the copy's host, the hosts of the GPUs holding the model or the cluster's hosts change. A move copies
/// the model from storage into the new host's memory, makes it the copy once whole, and drops the old one once no load is in
/// flight (one may be reading it); a copy made because there was none is the copy once whole too (GPUs hold the model, so no
/// load needs it meanwhile; a load that no GPU can feed makes its own, <see cref="HostCopyFor"/>).
/// </summary>
internal sealed partial class ModelGrain
{
    /// <summary>How often a move looks whether its new copy is whole, and whether loads still run before the old one goes.</summary>
    internal static readonly TimeSpan CopyMovePoll = TimeSpan.FromMilliseconds(250);

    /// <summary>How long after a failed judgement or move the keeper tries again.</summary>
    internal static readonly TimeSpan CopyKeepRetryDelay = TimeSpan.FromSeconds(5);

    // What the keeper last judged (the copy's host, the holders' hosts, the live hosts): it runs again only when that changes.
    private string? _copyJudged;

    private RetriedReaction CopyKeeping => field ??= new RetriedReaction(KeepCopyOnce, CopyKeepRetryDelay, _time,
        e => LogCopyKeepFailed(_logger, Model, CopyKeepRetryDelay.TotalSeconds, e.Message));

    // From Changed(): cheap unless the situation changed since the last judgement.
    private void KeepCopySoon()
    {
        if (_deployment is not { } deployment || !deployment.Policy.Multicasts()) return;
        // A failed judgement is retried on its own clock: not again at each layer that lands meanwhile.
        if (CopyKeeping.RetryPending || CopySituation() == _copyJudged) return;
        _ = CopyKeeping.Run();
    }

    private string CopySituation() =>
        $"{_hostCopy}|{string.Join(",", CopyHolders().Order(StringComparer.Ordinal))}|{string.Join(",", CopyLoading().Order(StringComparer.Ordinal))}"
        + $"|{string.Join(",", (_lastHosts ?? []).Select(h => h.Host))}";

    // The hosts of the GPUs holding the whole image, and of those still loading it.
    private IReadOnlyCollection<string> CopyHolders() => CopyHostChooser.HostsOf(_instances.LoadSources.Select(i => i.Gpu));

    private IReadOnlyCollection<string> CopyLoading() =>
        CopyHostChooser.HostsOf(_instances.All.Where(i => i.IsLoading).Select(i => i.Gpu));

    private async Task KeepCopyOnce()
    {
        if (_deployment is not { } deployment || !deployment.Policy.Multicasts()) return;
        var hosts = await Hosts();
        var memory = await MemoryOf(hosts);
        if (await SweepCopies(memory)) memory = await MemoryOf(hosts);
        _copyJudged = CopySituation();
        string? copy = _hostCopy;
        var inUse = _instances.All.Where(i => i.State is not (InstanceState.Inactive or InstanceState.Failed)).Select(i => i.Gpu).ToList();
        if (CopyKeeper.Next(copy, CopyHolders(), CopyLoading(), CopyHostChooser.Rooms(hosts, memory, inUse), deployment.Image.TotalBytes) is not { } move)
            return;
        await MoveCopy(deployment, copy, move);
        // The move took time: what it was judged on may have changed meanwhile.
        _copyJudged = null;
    }

    private async Task MoveCopy(ModelDeployment deployment, string? judged, CopyMove move)
    {
        string reason = move.From is { } from
            ? $"every GPU holding the model is on {from}, beside its host copy: the copy moves to {move.To}"
            : $"the model has no host copy (its host left the cluster): making one on {move.To}";
        LogCopyMoving(_logger, Model, reason);
        Publish(ModelEventKind.HostCopy, reason);
        var made = await HostMemory(move.To).EnsureCopy(Model, deployment.Directory, null, deferFill: false);
        if (made.Error is not null) throw new InvalidOperationException($"the copy on {move.To} failed: {made.Error}");
        // It becomes the model's copy only once whole: meanwhile no load is fed from it at storage's pace (GPUs hold the model).
        while (true)
        {
            if (_deployment != deployment)
            {
                await DropUnused(deployment, move.To);
                return;
            }
            var status = await HostMemory(move.To).GetStatus();
            var copy = status.Copies.FirstOrDefault(c => c.Model == Model)
                ?? throw new InvalidOperationException($"the copy on {move.To} is gone before it was whole");
            if (copy.Error is not null)
            {
                await DropUnused(deployment, move.To);
                throw new InvalidOperationException($"the copy on {move.To} failed: {copy.Error}");
            }
            if (copy.Complete) break;
            await Task.Delay(CopyMovePoll, _time);
        }
        // Another copy made meanwhile (a load no GPU could feed made one, HostCopyFor), or the model undeployed: one copy per model.
        if (_deployment != deployment || _hostCopy is { } other && other != judged && other != move.To)
        {
            await DropUnused(deployment, move.To);
            return;
        }
        Adopt(move.To);
        if (move.From is null)
        {
            LogCopyMade(_logger, Model, move.To);
            return;
        }
        // A load planned before the switch may read the old copy: it goes once no load runs.
        while (OnItsWay && _deployment == deployment)
            await Task.Delay(CopyMovePoll, _time);
        if (_hostCopy == move.To)
        {
            await DropQuietly(move.From);
            LogCopyMoved(_logger, Model, move.From, move.To);
        }
        else if (_hostCopy is null && _deployment == deployment && (await Hosts()).Any(h => h.Host == move.From))
        {
            // The new copy's host died meanwhile: the old copy, still whole, is the copy again.
            Adopt(move.From);
        }
    }

    // Copies of the model the hosts hold besides its copy (left by a move or an adoption that this grain's silo dying cut short),
    // and a copy its host no longer holds (CopySweep). True when it changed anything.
    private async Task<bool> SweepCopies(IReadOnlyList<HostMemoryStatus> memory)
    {
        var held = memory.SelectMany(m => m.Copies.Where(c => c.Model == Model).Select(c => new HeldCopy(m.Host, c.Complete, c.Error is not null))).ToList();
        if (CopySweep.Next(_hostCopy, held, OnItsWay) is not { } sweep) return false;
        if (sweep.Copy != _hostCopy)
        {
            string reason = (_hostCopy, sweep.Copy) switch
            {
                (null, { } found) => $"the model had no host copy: the whole copy on {found} is used",
                ({ } lost, { } found) => $"the host copy on {lost} is gone or failed: the whole copy on {found} is used",
                _ => $"the host copy on {_hostCopy} is gone or failed and no host holds a whole one",
            };
            LogCopySwept(_logger, Model, reason);
            Publish(ModelEventKind.HostCopy, reason);
            _hostCopy = sweep.Copy;
            // Saved, and judged once more (this run goes again): a drop alone does not, so a drop that keeps failing is
            // tried at the next change, not in a loop.
            Changed();
        }
        foreach (string host in sweep.Drop)
        {
            string reason = $"dropped the copy on {host}: it is not the model's host copy ({_hostCopy ?? "none"})";
            LogCopySwept(_logger, Model, reason);
            Publish(ModelEventKind.HostCopy, reason);
            await DropQuietly(host);
        }
        return true;
    }

    private void Adopt(string host)
    {
        _hostCopy = host;
        Changed();
    }

    // A copy this keeper made that is not the model's copy after all.
    private async Task DropUnused(ModelDeployment deployment, string host)
    {
        if (_deployment == deployment && _hostCopy == host) return;
        await DropQuietly(host);
    }

    // The model's copy in a host's memory dropped; a host that does not answer is logged, not thrown (its memory goes with it).
    private async Task DropQuietly(string host)
    {
        try
        {
            await HostMemory(host).Drop(Model);
        }
        catch (Exception e)
        {
            LogDropFailed(_logger, Model, host, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: {Reason}")]
    private static partial void LogCopyMoving(ILogger logger, string model, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: {Reason}")]
    private static partial void LogCopySwept(ILogger logger, string model, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: the host copy on {Host} is whole and in use")]
    private static partial void LogCopyMade(ILogger logger, string model, string host);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: the host copy moved from {From} to {To}")]
    private static partial void LogCopyMoved(ILogger logger, string model, string from, string to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: keeping the host copy off the hosts of its GPUs failed; trying again in {Seconds} s: {Reason}")]
    private static partial void LogCopyKeepFailed(ILogger logger, string model, double seconds, string reason);
}
