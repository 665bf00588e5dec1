using BlitzScale.Client;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Replay;

/// <summary>
/// The cluster as one model's replay sees it at one moment: its instances per state, the GPUs holding one of its
/// instances (Warm included: a Warm instance keeps its GPU memory), GPU memory in use, host-cache bytes of its copies,
/// its queue, and the requests in flight from this client.
/// </summary>
/// <param name="AtS">Seconds from the replay's start.</param>
/// <param name="Instances">State name → instances of the model in it (Inactive ones left out).</param>
/// <param name="GpusHolding">GPUs with a resident shard of the model.</param>
/// <param name="GpuMemoryUsedBytes">Bytes the model's residents hold on all GPUs (parameters and KV cache).</param>
/// <param name="HostCacheBytes">Bytes of the model's host-memory copies on all hosts.</param>
/// <param name="QueueLength">Requests the model grain holds while no instance can take them.</param>
/// <param name="InFlight">Requests sent and not yet ended.</param>
internal sealed record ClusterSample(double AtS, IReadOnlyDictionary<string, int> Instances, int GpusHolding, long GpuMemoryUsedBytes,
    long HostCacheBytes, int QueueLength, int InFlight)
{
    /// <summary>The sample of <paramref name="model"/> in <paramref name="status"/>.</summary>
    public static ClusterSample Of(double atS, string model, ClusterStatus status, int inFlight)
    {
        ArgumentNullException.ThrowIfNull(status);
        var modelStatus = status.Models.FirstOrDefault(m => m.Model == model);
        var instances = (modelStatus?.Instances ?? []).Where(i => i.State != InstanceState.Inactive)
            .GroupBy(i => i.State).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(), g => g.Count());
        var residents = status.Hosts.SelectMany(h => h.Gpus).Select(g => (g.Key, Residents: g.Residents.Where(r => r.Model == model).ToList())).ToList();
        return new ClusterSample(Math.Round(atS, 4), instances, residents.Count(g => g.Residents.Count > 0), residents.Sum(g => g.Residents.Sum(r => r.Bytes)),
            status.HostMemory.Sum(h => h.Copies.Where(c => c.Model == model).Sum(c => c.Bytes)), modelStatus?.QueueLength ?? 0, inFlight);
    }
}
