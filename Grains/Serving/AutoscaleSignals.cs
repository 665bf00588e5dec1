using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Scaling.Autoscaling;
using BlitzScale.Scaling.Instances;
using InstanceState = BlitzScale.Scaling.Instances.InstanceState;

namespace BlitzScale.Grains.Serving;

/// <summary>What the autoscaler reads at a tick: one <see cref="InstanceSignals"/> per instance the model counts. Pure.</summary>
internal static class AutoscaleSignals
{
    /// <summary>
    /// The signals of <paramref name="instances"/> (the state machine after this tick's reading) from their shards'
    /// <paramref name="reports"/>. An instance being planned again (<paramref name="replanning"/>: it lost a source mid-load and
    /// is Failed until its refeed starts) counts as Loading: read as Failed, it let a tick in bench chaos scale up again for it,
    /// and the cluster ended one over the maximum once its refeed landed. An active instance whose shard was slow to answer
    /// counts too, with its state and no figures (<see cref="InstanceSignals.Answered"/>). One whose silo could not be reached
    /// (<paramref name="unreachable"/>) does not: its capacity is gone, and counted until membership declared its silo dead it
    /// held back the scale-up that replaces it (about 6 s in bench chaos, during a burst).
    /// </summary>
    public static IReadOnlyList<InstanceSignals> Of(IReadOnlyList<InstanceLifecycle> instances, IReadOnlyList<InstanceStatus> reports, IReadOnlySet<int> replanning,
        IReadOnlySet<int> unreachable)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(reports);
        ArgumentNullException.ThrowIfNull(replanning);
        ArgumentNullException.ThrowIfNull(unreachable);
        // Sources of loads in progress: a Warm one among them is not released mid-transfer.
        var feeding = reports.SelectMany(r => r.Sources ?? []).ToHashSet(StringComparer.Ordinal);
        var byInstance = new Dictionary<int, InstanceStatus>();
        foreach (var report in reports) byInstance[report.Instance] = report;
        var signals = new List<InstanceSignals>(instances.Count);
        foreach (var instance in instances)
        {
            var state = instance.State == InstanceState.Failed && replanning.Contains(instance.Index) ? InstanceState.Loading : instance.State;
            if (byInstance.TryGetValue(instance.Index, out var report))
            {
                signals.Add(new InstanceSignals(instance.Index, state, instance.Since, report.QueuedPrefillTokens, report.RunningDecodeTokens,
                    report.KvBlocksUsed, report.KvBlocksTotal, report.PrefilledTokens, report.PrefillSeconds, report.RecentTtftMs, report.RecentTbtMs,
                    FeedsLoad: feeding.Contains(instance.Gpu), RatedPrefillTokensPerSecond: report.RatedPrefillTokensPerSecond));
            }
            else if (!unreachable.Contains(instance.Index))
            {
                var unanswered = new InstanceSignals(instance.Index, state, instance.Since, Answered: false);
                if (unanswered.IsActive) signals.Add(unanswered);
            }
        }
        return signals;
    }
}
