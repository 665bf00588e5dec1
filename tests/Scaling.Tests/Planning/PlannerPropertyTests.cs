using BlitzScale.Scaling.Planning;

namespace BlitzScale.Scaling.Tests.Planning;

/// <summary>
/// Properties every plan must have, over 200 generated topologies (fixed seeds): 1–8 hosts of 1–8 GPUs in one or
/// two NVLink groups, 1–3 leaves, random sources (roles, busy links), targets, host copy and limits.
/// </summary>
public sealed class PlannerPropertyTests
{
    private const int Topologies = 200;

    [Fact]
    public void EveryTargetReceivesEveryBlobExactlyOnceAndSendersHoldWhatTheySend() =>
        ForEachTopology((input, plan) =>
        {
            var received = PlanSimulator.Deliveries(plan, input);
            var expected = ExpectedTargets(input);
            Assert.Equal(expected.Order(StringComparer.Ordinal), received.Keys.Order(StringComparer.Ordinal));
            foreach (var (gpu, counts) in received)
                Assert.True(counts.All(c => c == 1), $"{gpu} received blobs [{string.Join(",", counts)}] times");
        });

    [Fact]
    public void NoGpuOrNicSendsMoreStreamsThanAllowed() =>
        ForEachTopology((input, plan) =>
        {
            foreach (var (sender, streams) in PlanSimulator.GpuStreams(plan).Where(s => input.Gpus.Any(g => g.Key == s.Key)))
                Assert.True(streams <= input.Limits.MaxStreamsPerGpu, $"{sender} sends {streams} streams");
            foreach (var (host, streams) in PlanSimulator.NicStreams(plan, input))
                Assert.True(streams <= input.Limits.MaxStreamsPerHostNic, $"{host}'s NIC sends {streams} streams");
        });

    [Fact]
    public void OnlyUsableSourcesSendAndTheHostCopyAndStorageOnlyAsLastResorts() =>
        ForEachTopology((input, plan) =>
        {
            var usable = Usable(input);
            var kinds = plan.Chains.Select(c => c.Source).Distinct().ToArray();
            if (plan.Chains.Count == 0) return;
            if (usable.Count > 0)
            {
                // The host copy beside GPU senders only for its own host's targets, where that host copies faster than its NIC
                // and has no sender of its own.
                var copyHost = input.HostCopy is { } copy && input.Hosts.Single(h => h.Name == copy).CopiesFasterThanNic
                    && !usable.Any(u => u.StartsWith(copy + "/", StringComparison.Ordinal)) ? copy : null;
                var fromCopy = plan.Chains.Where(c => c.Source == SourceKind.HostCopy).SelectMany(c => c.Targets).Order(StringComparer.Ordinal);
                var copyTargets = ExpectedTargets(input).Where(t => copyHost is not null && t.StartsWith(copyHost + "/", StringComparison.Ordinal));
                Assert.Equal(copyTargets.Order(StringComparer.Ordinal), fromCopy);
                Assert.All(kinds, k => Assert.Contains(k, new[] { SourceKind.Gpu, SourceKind.HostCopy }));
            }
            else if (input.HostCopy is not null) Assert.Equal([SourceKind.HostCopy], kinds);
            else Assert.Equal([SourceKind.Storage], kinds);
            foreach (var sender in plan.Chains.SelectMany(c => c.Feed).Select(h => h.From))
                if (input.Gpus.Any(g => g.Key == sender)) Assert.Contains(sender, usable);
        });

    [Fact]
    public void NoChainCrossesLeavesBeforeReachingATargetWhoseLeafHasASource() =>
        ForEachTopology((input, plan) =>
        {
            var leafOfHost = input.Hosts.ToDictionary(h => h.Name, h => h.LeafSwitch);
            var hostOf = input.Gpus.ToDictionary(g => g.Key, g => g.Host);
            string? Leaf(string endpoint) =>
                hostOf.TryGetValue(endpoint, out var host) ? leafOfHost[host]
                : endpoint == TransferPlan.StorageEndpoint ? null
                : leafOfHost[endpoint[..endpoint.IndexOf('/')]];
            var leavesWithSources = Usable(input).Select(s => Leaf(s)!).ToHashSet();
            bool storage = plan.Chains.Any(c => c.Source == SourceKind.Storage);
            foreach (var chain in plan.Chains)
            {
                bool crossed = false;
                foreach (var hop in chain.Feed.Concat(chain.AllGather).Concat(chain.Hops))
                {
                    string? from = Leaf(hop.From), to = Leaf(hop.To);
                    crossed |= from is not null && from != to;
                    if (crossed && (storage || leavesWithSources.Contains(to!)))
                        Assert.Fail($"{hop.To} on {to} is reached after the chain crossed leaves");
                }
            }
        });

    [Fact]
    public void EachNvLinkGroupIsFedFromOutsideOnceByOneChain() =>
        ForEachTopology((input, plan) =>
        {
            var gpus = input.Gpus.ToDictionary(g => g.Key);
            (string, string)? Group(string endpoint) => gpus.TryGetValue(endpoint, out var g) ? (g.Host, g.NvlinkGroup) : null;
            var entries = plan.Chains
                .SelectMany((c, i) => c.Feed.Concat(c.AllGather).Concat(c.Hops).Select(h => (Chain: i, Hop: h)))
                .Where(e => !Equals(Group(e.Hop.From), Group(e.Hop.To)))
                .GroupBy(e => Group(e.Hop.To)!.Value);
            foreach (var group in entries)
            {
                Assert.Single(group.Select(e => e.Chain).Distinct());
                var counts = new int[input.BlobSizes.Count];
                foreach (var (_, hop) in group)
                    for (int b = hop.Blobs.Start; b < hop.Blobs.End; b++) counts[b]++;
                Assert.True(counts.All(c => c == 1), $"group {group.Key} gets blobs [{string.Join(",", counts)}] times from outside");
            }
        });

    [Fact]
    public void PlanIsTheSameForTheSameInputInAnyOrder() =>
        ForEachTopology((input, plan) =>
        {
            var again = TransferPlanner.Plan(input);
            var shuffled = TransferPlanner.Plan(Shuffle(input, new Random(plan.Chains.Count + input.Gpus.Count)));
            Assert.Equal(plan, again);
            Assert.Equal(plan, shuffled);
            Assert.Equal(plan.GetHashCode(), shuffled.GetHashCode());
            Assert.Equal(plan.Describe(), shuffled.Describe());
            double seconds = plan.EstimateSeconds(input);
            Assert.Equal(seconds, shuffled.EstimateSeconds(Shuffle(input, new Random(3))));
            Assert.True(plan.Chains.Count == 0 ? seconds == 0 : seconds > 0 && double.IsFinite(seconds), $"estimate {seconds}");
        });

    [Fact]
    public void GeneratedTopologiesCoverEveryKindOfPlan()
    {
        var seen = new HashSet<string>();
        ForEachTopology((input, plan) =>
        {
            foreach (var chain in plan.Chains) seen.Add(chain.Source.ToString());
            if (plan.Chains.Any(c => c.IsSplit)) seen.Add("split");
            if (plan.Chains.Any(c => c.AllGather.Count > 0)) seen.Add("all-gather");
            if (plan.Chains.Count > 1) seen.Add("several chains");
            if (plan.Chains.Select(c => c.Source).Distinct().Count() > 1) seen.Add("host copy beside GPUs");
            if (plan.Chains.Count == 0) seen.Add("empty");
            if (plan.Chains.SelectMany(c => c.Hops).Any(h => h.Link == LinkType.Pcie)) seen.Add("pcie");
        });
        Assert.Equal(
            ["Gpu", "HostCopy", "Storage", "all-gather", "empty", "host copy beside GPUs", "pcie", "several chains", "split"],
            seen.Order(StringComparer.Ordinal));
    }

    private static void ForEachTopology(Action<PlanningInput, TransferPlan> check)
    {
        for (int seed = 1; seed <= Topologies; seed++)
        {
            var input = Generate(new Random(seed));
            var plan = TransferPlanner.Plan(input);
            try
            {
                check(input, plan);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"topology seed {seed}: {e.Message}\n{plan.Describe()}");
            }
        }
    }

    private static PlanningInput Generate(Random random)
    {
        int leaves = random.Next(1, 4);
        var hosts = new List<HostSpec>();
        var gpus = new List<GpuSpec>();
        int hostCount = random.Next(1, 9);
        for (int h = 0; h < hostCount; h++)
        {
            string name = $"h{h}";
            hosts.Add(new HostSpec(name, new[] { 10.0, 25, 100, 200 }[random.Next(4)], $"leaf{random.Next(leaves)}"));
            int count = random.Next(1, 9);
            int firstGroup = random.Next(2) == 0 ? count : random.Next(1, count + 1);
            for (int i = 0; i < count; i++)
                gpus.Add(new GpuSpec($"{name}/gpu{i}", name, i < firstGroup ? "nvA" : "nvB", new[] { 1.0, 1.5, 2 }[random.Next(3)]));
        }

        long[] blobs = Enumerable.Range(0, random.Next(1, 12)).Select(_ => (long)random.Next(1, 1000)).ToArray();
        var sources = new List<GpuSource>();
        var targets = new List<string>();
        double sourceShare = random.NextDouble() * 0.4;
        foreach (var gpu in gpus)
        {
            double roll = random.NextDouble();
            if (roll < sourceShare)
            {
                sources.Add(new GpuSource(gpu.Key, (SourceRole)random.Next(3), random.NextDouble() < 0.3));
                if (random.NextDouble() < 0.1) targets.Add(gpu.Key);
            }
            else if (roll < sourceShare + 0.5)
            {
                targets.Add(gpu.Key);
            }
        }
        if (targets.Count == 0) targets.Add(gpus[random.Next(gpus.Count)].Key);
        string? hostCopy = random.Next(2) == 0 ? hosts[random.Next(hosts.Count)].Name : null;
        // Drawn last, from a generator of their own, so the topologies above are the ones they were before hosts declared them.
        var rates = new Random(random.Next());
        for (int h = 0; h < hosts.Count; h++)
            hosts[h] = hosts[h] with { HostToDeviceGBps = new double?[] { null, 1, 25, 55.4 }[rates.Next(4)] };
        return new PlanningInput(hosts, gpus, blobs, sources, hostCopy, targets)
        {
            Limits = new PlanningLimits(random.Next(1, 3), random.Next(1, 3)),
        };
    }

    private static PlanningInput Shuffle(PlanningInput input, Random random) => input with
    {
        Hosts = Shuffled(input.Hosts, random),
        Gpus = Shuffled(input.Gpus, random),
        Sources = Shuffled(input.Sources, random),
        Targets = Shuffled(input.Targets, random),
    };

    private static T[] Shuffled<T>(IEnumerable<T> items, Random random)
    {
        var array = items.ToArray();
        random.Shuffle(array);
        return array;
    }

    /// <summary>The targets that need the model: those that are not sources already.</summary>
    private static IEnumerable<string> ExpectedTargets(PlanningInput input) =>
        input.Targets.Except(input.Sources.Select(s => s.Gpu));

    /// <summary>The sources allowed to send, by the rules: idle, and not Prefill while a Decode or Serving one is idle.</summary>
    private static List<string> Usable(PlanningInput input)
    {
        var idle = input.Sources.Where(s => !s.OutboundBusy).ToList();
        if (idle.Any(s => s.Role != SourceRole.Prefill)) idle = idle.Where(s => s.Role != SourceRole.Prefill).ToList();
        return idle.Select(s => s.Gpu).ToList();
    }
}
