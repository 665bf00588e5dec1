using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Scaling.Instances;
using BlitzScale.Scaling.Planning;

namespace BlitzScale.Grains.Serving;

/// <summary>What each new instance of a model fetches from where, as the deployment's load policy says, and the plan's description.</summary>
internal sealed record FeedPlan(IReadOnlyDictionary<string, IReadOnlyList<LoadFeed>> Feeds, string Description);

/// <summary>
/// Plans the feeds of a scale-up. <c>blitz</c>: the transfer planner's chains from the GPUs holding the model, else its one
/// host copy, else storage. The baselines: each instance from its own host's memory copy, made from the files on a miss (sllm).
/// </summary>
internal sealed class FeedPlanning(IGrainFactory grains, string model)
{
    /// <param name="hosts">The cluster's hosts.</param>
    /// <param name="deployment">The model's deployment.</param>
    /// <param name="targets">The new instances.</param>
    /// <param name="sources">The instances that may send (they hold every layer); those on a host <paramref name="hosts"/> does not
    /// list are left out (<see cref="HostsAlive.Sending"/>).</param>
    /// <param name="hostCopy">The host of the model's one host copy (blitz), or null.</param>
    /// <param name="sourcesNamed">The sources were named (an operator's, a replan's): they send, and the host copy does not feed its
    /// own host beside them (<see cref="PlanningInput.HostCopyBesideGpus"/>).</param>
    /// <param name="complementary">Loads in complementary orders may be planned (<see cref="ComplementaryChains"/>): the policy pairs
    /// live, the silos allow it, and <paramref name="hostCopy"/> held the whole image before this plan.</param>
    public async Task<FeedPlan> Plan(IReadOnlyList<HostInfo> hosts, ModelDeployment deployment, IReadOnlyList<InstanceLifecycle> targets,
        IReadOnlyList<InstanceLifecycle> sources, string? hostCopy, bool sourcesNamed = false, bool complementary = false)
    {
        int blobs = deployment.Image.BlobSizes.Count;
        if (!deployment.Policy.Multicasts())
        {
            // One copy per host, asked of every host at once.
            var targetHosts = targets.Select(t => t.Host).Distinct(StringComparer.Ordinal).ToList();
            var copies = await Task.WhenAll(targetHosts.Select(h => HostMemory(h).EnsureCopy(model, deployment.Directory, deployment.KeepAliveSeconds, deferFill: true)));
            var coldHosts = new HashSet<string>(StringComparer.Ordinal);
            for (int n = 0; n < targetHosts.Count; n++)
            {
                if (copies[n].Error is not null) throw new InvalidOperationException($"the host copy of \"{model}\" on {targetHosts[n]} failed: {copies[n].Error}");
                if (copies[n].Cold) coldHosts.Add(targetHosts[n]);
            }
            var own = targets.ToDictionary(t => t.Gpu, t => FeedMapper.FromOwnHostCopy(model, t.Host, blobs, cold: coldHosts.Contains(t.Host)), StringComparer.Ordinal);
            return new FeedPlan(own, $"{targets.Count} instance(s) from their hosts' memory ({deployment.Policy})");
        }

        sources = HostsAlive.Sending(sources, hosts);
        var input = PlanningInputs.Build(hosts, deployment.Image.BlobSizes, sources.Select(s => s.Gpu), hostCopy, [.. targets.Select(t => t.Gpu)])
            with { HostCopyBesideGpus = !sourcesNamed };
        var plan = TransferPlanner.Plan(input);
        if (complementary) plan = ComplementaryChains.Arrange(plan, hostCopy, gpu => GpuKey.Parse(gpu).Host).Plan;
        var shardOn = sources.Concat(targets).ToDictionary(s => s.Gpu, s => s.Shard, StringComparer.Ordinal);
        var feeds = FeedMapper.Map(plan, model, gpu => GpuKey.Parse(gpu).Host, gpu => shardOn[gpu], hosts.ToDictionary(h => h.Host, StringComparer.Ordinal));
        return new FeedPlan(feeds.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal), plan.Describe());
    }

    /// <summary>
    /// Each target's fallbacks for a multicast plan, in the order to try (<see cref="ShardLoadRequest.Fallbacks"/>): first the
    /// plan for it alone from what holds the model on hosts none of its feeds comes from (a serving GPU at the link's rate, or
    /// the host copy), then storage, which needs no other host. None for a target the plan feeds from storage alone, or for
    /// the baselines (their own host's copy, no remote source to lose).
    /// </summary>
    /// <param name="sources">The instances the plan could send from (they hold every layer).</param>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<LoadFeed>>>> Fallbacks(IReadOnlyList<HostInfo> hosts,
        ModelDeployment deployment, IReadOnlyList<InstanceLifecycle> targets, FeedPlan plan, IReadOnlyList<InstanceLifecycle> sources, string? hostCopy)
    {
        var fallbacks = new Dictionary<string, IReadOnlyList<IReadOnlyList<LoadFeed>>>(StringComparer.Ordinal);
        if (!deployment.Policy.Multicasts()) return fallbacks;
        foreach (var target in targets)
        {
            var feedHosts = plan.Feeds[target.Gpu].Select(f => SourceHost(f.From)).OfType<string>().ToHashSet(StringComparer.Ordinal);
            if (feedHosts.Count == 0) continue;
            var order = new List<IReadOnlyList<LoadFeed>>();
            var peers = sources.Where(s => !feedHosts.Contains(s.Host) && s.Gpu != target.Gpu).ToList();
            string? copy = hostCopy is not null && !feedHosts.Contains(hostCopy) ? hostCopy : null;
            if (peers.Count > 0 || copy is not null)
                order.Add((await Plan(hosts, deployment, [target], peers, copy)).Feeds[target.Gpu]);
            order.Add((await Plan(hosts, deployment, [target], [], null)).Feeds[target.Gpu]);
            fallbacks[target.Gpu] = order;
        }
        return fallbacks;
    }

    /// <summary>The host a feed's source is on (a GPU or a host copy), or null for storage.</summary>
    public static string? SourceHost(string from) => TransferPlan.HostOfHostCopy(from) ?? (GpuKey.TryParse(from, out var gpu) ? gpu.Host : null);

    private IHostMemoryGrain HostMemory(string host) => grains.GetGrain<IHostMemoryGrain>(new HostMemoryKey(host).ToString());
}
