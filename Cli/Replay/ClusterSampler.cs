using BlitzScale.Cli.Commands;
using BlitzScale.Client;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Replay;

/// <summary>
/// Samples the cluster every <see cref="Interval"/> while a replay runs, and remembers which GPU each of the model's shards
/// is on (so each request's log names the GPU that served it), and collects the autoscaler's decisions the model's status
/// shows (it keeps the last 20; sampled every 250 ms, none is missed unless 20 come within one interval), and the instances
/// that load while it runs (where from, how long, when they serve). A failed read is skipped, not fatal: the replay goes on.
/// </summary>
internal sealed class ClusterSampler(Func<CancellationToken, Task<ClusterStatus>> read, string model, TimeProvider time, long origin, ReplayCounters counters)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly List<ClusterSample> _samples = [];
    private readonly Dictionary<string, string> _gpus = new(StringComparer.Ordinal);
    private readonly List<ScalingRecord> _decisions = [];
    private readonly HashSet<ScalingRecord> _seen = [];
    // Shards already serving at the first sample are not loads of this replay.
    private readonly HashSet<string> _servingAtStart = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ReplayLoad> _loads = new(StringComparer.Ordinal);

    public IReadOnlyList<ClusterSample> Samples => _samples;

    /// <summary>Shard → GPU of every instance seen.</summary>
    public IReadOnlyDictionary<string, string> Gpus => _gpus;

    /// <summary>The autoscaler's decisions seen, each once, in the order it made them.</summary>
    public IReadOnlyList<ScalingRecord> Decisions => _decisions;

    /// <summary>The instances that loaded during the replay, in the order they were first seen.</summary>
    public IReadOnlyList<ReplayLoad> Loads => [.. _loads.Values.OrderBy(l => l.FirstSeenS).ThenBy(l => l.Shard, StringComparer.Ordinal)];

    /// <summary>Reads failed so far (each a missing sample).</summary>
    public int FailedReads { get; private set; }

    /// <summary>The latest sample, for the progress display; null before the first.</summary>
    public ClusterSample? Latest => _samples.Count > 0 ? _samples[^1] : null;

    /// <summary>Takes one sample now.</summary>
    public async Task Sample(CancellationToken cancellation)
    {
        try
        {
            var status = await read(cancellation);
            double atS = time.GetElapsedTime(origin).TotalSeconds;
            bool first = _samples.Count == 0;
            _samples.Add(ClusterSample.Of(atS, model, status, counters.InFlight));
            foreach (var instance in status.Models.Where(m => m.Model == model).SelectMany(m => m.Instances))
            {
                _gpus[instance.Shard] = instance.Gpu;
                Track(instance, atS, first);
            }
            foreach (var decision in status.Models.Where(m => m.Model == model).SelectMany(m => m.Scaling ?? []))
                if (_seen.Add(decision)) _decisions.Add(decision);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            FailedReads++;
        }
    }

    private void Track(InstanceStatus instance, double atS, bool first)
    {
        if (_loads.TryGetValue(instance.Shard, out var load))
        {
            _loads[instance.Shard] = load.With(instance, atS);
            return;
        }
        if (_servingAtStart.Contains(instance.Shard)) return;
        if (first && !LoadingStates.IsLoading(instance.State))
        {
            _servingAtStart.Add(instance.Shard);
            return;
        }
        if (instance.State is InstanceState.Inactive or InstanceState.Failed) return;
        _loads[instance.Shard] = new ReplayLoad(instance.Shard, instance.Gpu, Math.Round(atS, 4), null, 0, null, 0).With(instance, atS);
    }
}
