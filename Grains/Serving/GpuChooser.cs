using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Grains.Serving;

/// <summary>Picks GPUs for new instances: spread over hosts first, then over each host's GPUs. Pure.</summary>
internal static class GpuChooser
{
    /// <summary>
    /// <paramref name="count"/> GPU keys: the free GPUs of the <paramref name="preferred"/> hosts, in their order, when given
    /// (those a scale-up loads fastest: beside a GPU that holds the model, then beside a fast host copy), then gpu0 of every
    /// host, then gpu1 of every host, …, skipping <paramref name="taken"/>. Null when the cluster has too few.
    /// </summary>
    public static IReadOnlyList<string>? Choose(IReadOnlyList<HostInfo> hosts, int count, IReadOnlySet<string> taken, IReadOnlyList<string>? preferred = null)
    {
        var chosen = new List<string>(count);
        foreach (string name in (preferred ?? []).Distinct(StringComparer.Ordinal))
        {
            if (chosen.Count == count || hosts.FirstOrDefault(h => h.Host == name) is not { } host) continue;
            chosen.AddRange(Enumerable.Range(0, host.Gpus).Select(i => new GpuKey(host.Host, i).ToString())
                .Where(key => !taken.Contains(key)).Take(count - chosen.Count));
            taken = taken.Union(chosen).ToHashSet(StringComparer.Ordinal);
        }
        int maxGpus = hosts.Count == 0 ? 0 : hosts.Max(h => h.Gpus);
        for (int index = 0; index < maxGpus && chosen.Count < count; index++)
        {
            foreach (var host in hosts.OrderBy(h => h.Host, StringComparer.Ordinal))
            {
                if (index >= host.Gpus) continue;
                string key = new GpuKey(host.Host, index).ToString();
                if (taken.Contains(key)) continue;
                chosen.Add(key);
                if (chosen.Count == count) break;
            }
        }
        return chosen.Count == count ? chosen : null;
    }

    /// <summary>Checks user-given GPU keys against the cluster, naming the first that does not exist.</summary>
    /// <exception cref="ArgumentException">A key is malformed, names an unknown host, or a GPU the host lacks.</exception>
    public static void Validate(IReadOnlyList<HostInfo> hosts, IEnumerable<string> gpus)
    {
        foreach (string gpu in gpus)
        {
            GpuKey key;
            try
            {
                key = GpuKey.Parse(gpu);
            }
            catch (FormatException e)
            {
                throw new ArgumentException(e.Message, e);
            }
            var (host, index) = key;
            var info = hosts.FirstOrDefault(h => h.Host == host)
                ?? throw new ArgumentException($"GPU {gpu}: host \"{host}\" has no silo in the cluster (hosts: {string.Join(", ", hosts.Select(h => h.Host))})");
            if (index >= info.Gpus)
                throw new ArgumentException($"GPU {gpu}: host \"{host}\" has {info.Gpus} GPU(s)");
        }
    }
}
