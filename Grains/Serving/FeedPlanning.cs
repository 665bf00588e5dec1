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
    /// <param name="sources">The instances that may send (they hold every layer).</param>
    /// <param name="hostCopy">The host of the model's one host copy (blitz), or null.</param>
    public async Task<FeedPlan> Plan(IReadOnlyList<HostInfo> hosts, ModelDeployment deployment, IReadOnlyList<InstanceLifecycle> targets,
        IReadOnlyList<InstanceLifecycle> sources, string? hostCopy)
    {
        int blobs = deployment.Image.BlobSizes.Count;
        if (!deployment.Policy.Multicasts())
        {
            var own = new Dictionary<string, IReadOnlyList<LoadFeed>>(StringComparer.Ordinal);
            var coldHosts = new HashSet<string>(StringComparer.Ordinal);
            foreach (var target in targets)
            {
                var copy = await HostMemory(target.Host).EnsureCopy(model, deployment.Directory, deployment.KeepAliveSeconds, deferFill: true);
                if (copy.Error is not null) throw new InvalidOperationException($"the host copy of \"{model}\" on {target.Host} failed: {copy.Error}");
                if (copy.Cold) coldHosts.Add(target.Host);
                own[target.Gpu] = FeedMapper.FromOwnHostCopy(model, target.Host, blobs, cold: coldHosts.Contains(target.Host));
            }
            return new FeedPlan(own, $"{targets.Count} instance(s) from their hosts' memory ({deployment.Policy})");
        }

        var input = PlanningInputs.Build(hosts, deployment.Image.BlobSizes, sources.Select(s => s.Gpu), hostCopy, [.. targets.Select(t => t.Gpu)]);
        var plan = TransferPlanner.Plan(input);
        var shardOn = sources.Concat(targets).ToDictionary(s => s.Gpu, s => s.Shard, StringComparer.Ordinal);
        var feeds = FeedMapper.Map(plan, model, gpu => GpuKey.Parse(gpu).Host, gpu => shardOn[gpu], hosts.ToDictionary(h => h.Host, StringComparer.Ordinal));
        return new FeedPlan(feeds.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal), plan.Describe());
    }

    private IHostMemoryGrain HostMemory(string host) => grains.GetGrain<IHostMemoryGrain>(new HostMemoryKey(host).ToString());
}
