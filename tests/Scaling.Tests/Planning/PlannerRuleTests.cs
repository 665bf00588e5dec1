using BlitzScale.Scaling.Planning;
using static BlitzScale.Scaling.Planning.LinkType;
using static BlitzScale.Scaling.Tests.Planning.PlanSimulator;
using static BlitzScale.Scaling.Tests.Planning.TestTopology;

namespace BlitzScale.Scaling.Tests.Planning;

/// <summary>Each planner rule on a hand-made topology whose best answer is known.</summary>
public sealed class PlannerRuleTests
{
    [Fact]
    public void OneSourceOneTargetIsOneNetworkHop()
    {
        var input = new TestTopology().Host("h0").Host("h1").Input(["h1/gpu0"], [Src("h0/gpu0")]);

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        Assert.Equal([Hop("h0/gpu0", "h1/gpu0", Network)], chain.Feed);
        Assert.Empty(chain.AllGather);
        Assert.Empty(chain.Hops);
        Assert.Equal(SourceKind.Gpu, chain.Source);
        Assert.Equal("leaf0", chain.Leaf);
    }

    // Rule 1: prune busy sources; prefer decode (and serving) instances over prefill ones.

    [Fact]
    public void BusySourceIsPruned()
    {
        var input = new TestTopology().Host("h0").Host("h1").Host("h2")
            .Input(["h2/gpu0"], [Src("h0/gpu0", SourceRole.Decode, busy: true), Src("h1/gpu0", SourceRole.Decode)]);

        Assert.Equal(["h1/gpu0"], Assert.Single(TransferPlanner.Plan(input).Chains).Senders);
    }

    [Fact]
    public void DecodeSourceIsUsedRatherThanPrefillEvenAcrossLeaves()
    {
        // The prefill instance sits on the target's leaf; its link carries KV caches, so the decode one sends.
        var input = new TestTopology().Host("h0", "leaf0").Host("h1", "leaf1").Host("h2", "leaf0")
            .Input(["h2/gpu0"], [Src("h0/gpu0", SourceRole.Prefill), Src("h1/gpu0", SourceRole.Decode)]);

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        Assert.Equal([Hop("h1/gpu0", "h2/gpu0", Network)], chain.Feed);
        Assert.Equal("leaf1", chain.Leaf);
    }

    [Fact]
    public void IdleServingSourceIsUsedRatherThanPrefill()
    {
        var input = new TestTopology().Host("h0").Host("h1").Host("h2")
            .Input(["h2/gpu0"], [Src("h0/gpu0", SourceRole.Prefill), Src("h1/gpu0", SourceRole.Serving)]);

        Assert.Equal(["h1/gpu0"], Assert.Single(TransferPlanner.Plan(input).Chains).Senders);
    }

    [Fact]
    public void PrefillSourceSendsWhenNoOtherSourceIsIdle()
    {
        var input = new TestTopology().Host("h0").Host("h1").Host("h2")
            .Input(["h2/gpu0"], [Src("h0/gpu0", SourceRole.Prefill), Src("h1/gpu0", SourceRole.Decode, busy: true)]);

        Assert.Equal(["h0/gpu0"], Assert.Single(TransferPlanner.Plan(input).Chains).Senders);
    }

    // Rule 2: an NVLink group is fed once over the network and passes the image on over NVLink.

    [Fact]
    public void NvLinkGroupIsFedOnceThenCopiedOverNvLink()
    {
        var input = new TestTopology().Host("h0").Host("h1", gpus: 4)
            .Input(["h1/gpu3", "h1/gpu1", "h1/gpu0", "h1/gpu2"], [Src("h0/gpu0")]);

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        Assert.Equal([Hop("h0/gpu0", "h1/gpu0", Network)], chain.Feed);
        Assert.Equal(
            [Hop("h1/gpu0", "h1/gpu1", NvLink), Hop("h1/gpu1", "h1/gpu2", NvLink), Hop("h1/gpu2", "h1/gpu3", NvLink)],
            chain.Hops);
    }

    [Fact]
    public void SecondNvLinkGroupOfAHostIsReachedOverPcieNotAgainOverTheNetwork()
    {
        var input = new TestTopology().Host("h0")
            .Host("h1", "leaf0", ("nvA", 1), ("nvA", 1), ("nvB", 1), ("nvB", 1))
            .Host("h2")
            .Input(["h1/gpu0", "h1/gpu1", "h1/gpu2", "h1/gpu3", "h2/gpu0"], [Src("h0/gpu0")]);

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        Assert.Equal([Hop("h0/gpu0", "h1/gpu0", Network)], chain.Feed);
        Assert.Equal(
            [
                Hop("h1/gpu0", "h1/gpu1", NvLink), Hop("h1/gpu1", "h1/gpu2", Pcie), Hop("h1/gpu2", "h1/gpu3", NvLink),
                Hop("h1/gpu3", "h2/gpu0", Network),
            ],
            chain.Hops);
    }

    [Fact]
    public void TargetsBesideASourceGetItOverNvLinkAndTheChainGoesOnFromThere()
    {
        // h0/gpu0's one stream feeds its NVLink neighbours; h1 is reached from the last of them, not by a second stream.
        var input = new TestTopology().Host("h0", gpus: 4).Host("h1")
            .Input(["h0/gpu1", "h0/gpu2", "h0/gpu3", "h1/gpu0"], [Src("h0/gpu0")]);

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        Assert.Equal([Hop("h0/gpu0", "h0/gpu1", NvLink)], chain.Feed);
        Assert.Equal(
            [Hop("h0/gpu1", "h0/gpu2", NvLink), Hop("h0/gpu2", "h0/gpu3", NvLink), Hop("h0/gpu3", "h1/gpu0", Network)],
            chain.Hops);
    }

    [Fact]
    public void WithTwoStreamsPerGpuTheSourceAlsoStartsTheNetworkChain()
    {
        var input = new TestTopology().Host("h0", gpus: 3).Host("h1")
            .Input(["h0/gpu1", "h0/gpu2", "h1/gpu0"], [Src("h0/gpu0")]) with { Limits = new PlanningLimits(MaxStreamsPerGpu: 2) };

        var chains = TransferPlanner.Plan(input).Chains;

        Assert.Equal(2, chains.Count);
        Assert.Equal([Hop("h0/gpu0", "h0/gpu1", NvLink)], chains[0].Feed);
        Assert.Equal([Hop("h0/gpu1", "h0/gpu2", NvLink)], chains[0].Hops);
        Assert.Equal([Hop("h0/gpu0", "h1/gpu0", Network)], chains[1].Feed);
        Assert.Empty(chains[1].Hops);
    }

    // Rule 3: one chain per leaf with sources and targets; other leaves join the shortest chain at its end.

    [Fact]
    public void EachLeafWithSourcesAndTargetsGetsItsOwnChainThatStaysOnTheLeaf()
    {
        var input = new TestTopology()
            .Host("h0", "leaf0").Host("h1", "leaf0").Host("h2", "leaf0")
            .Host("h3", "leaf1").Host("h4", "leaf1")
            .Input(["h4/gpu0", "h2/gpu0", "h1/gpu0"], [Src("h3/gpu0"), Src("h0/gpu0")]);

        var chains = TransferPlanner.Plan(input).Chains;

        Assert.Equal(2, chains.Count);
        Assert.Equal("leaf0", chains[0].Leaf);
        Assert.Equal([Hop("h0/gpu0", "h1/gpu0", Network)], chains[0].Feed);
        Assert.Equal([Hop("h1/gpu0", "h2/gpu0", Network)], chains[0].Hops);
        Assert.Equal("leaf1", chains[1].Leaf);
        Assert.Equal([Hop("h3/gpu0", "h4/gpu0", Network)], chains[1].Feed);
        Assert.Empty(chains[1].Hops);
    }

    [Fact]
    public void LeafWithoutSourceIsAppendedToTheShortestChain()
    {
        var input = new TestTopology()
            .Host("h0", "leaf0").Host("h1", "leaf0").Host("h2", "leaf0")
            .Host("h3", "leaf1").Host("h4", "leaf1")
            .Host("h5", "leaf2").Host("h6", "leaf2")
            .Input(["h1/gpu0", "h2/gpu0", "h4/gpu0", "h5/gpu0", "h6/gpu0"], [Src("h0/gpu0"), Src("h3/gpu0")]);

        var chains = TransferPlanner.Plan(input).Chains;

        Assert.Equal(2, chains.Count);
        Assert.Equal(["h1/gpu0", "h2/gpu0"], chains[0].Targets);
        // leaf1's chain had one target, leaf0's two: leaf2 goes to leaf1's, after leaf1's own targets.
        Assert.Equal(["h4/gpu0", "h5/gpu0", "h6/gpu0"], chains[1].Targets);
        Assert.Equal(Hop("h4/gpu0", "h5/gpu0", Network), chains[1].Hops[0]);
    }

    [Fact]
    public void LeavesWithoutSourceAreSpreadLargestFirstAndTiesGoToTheEarlierChain()
    {
        var input = new TestTopology()
            .Host("h0", "leaf0").Host("h1", "leaf0")
            .Host("h2", "leaf1").Host("h3", "leaf1")
            .Host("h4", "leaf2")
            .Host("h5", "leaf3").Host("h6", "leaf3")
            .Input(["h1/gpu0", "h3/gpu0", "h4/gpu0", "h5/gpu0", "h6/gpu0"], [Src("h0/gpu0"), Src("h2/gpu0")]);

        var chains = TransferPlanner.Plan(input).Chains;

        // Both chains have one target; leaf3 (two targets) goes first, to leaf0's chain (the earlier one), then
        // leaf2 to leaf1's chain, now the shorter.
        Assert.Equal(["h1/gpu0", "h5/gpu0", "h6/gpu0"], chains[0].Targets);
        Assert.Equal(["h3/gpu0", "h4/gpu0"], chains[1].Targets);
    }

    [Fact]
    public void LeafWithoutSourceStartsANetworkChainWhenThereIsNoneYet()
    {
        // leaf0's only target is fed over NVLink, so no network chain exists; leaf1's target continues that chain.
        var input = new TestTopology().Host("h0", "leaf0", gpus: 2).Host("h1", "leaf1")
            .Input(["h0/gpu1", "h1/gpu0"], [Src("h0/gpu0")]);

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        Assert.Equal([Hop("h0/gpu0", "h0/gpu1", NvLink)], chain.Feed);
        Assert.Equal([Hop("h0/gpu1", "h1/gpu0", Network)], chain.Hops);
    }

    [Fact]
    public void TargetsOnTheSourceHostComeFirstEvenWhenSlower()
    {
        // Reaching h0's other NVLink group takes no network; feeding it last would need a second stream into h0.
        var input = new TestTopology().Host("h0", "leaf0", ("nvA", 1), ("nvB", 1)).Host("h1", speed: 5)
            .Input(["h1/gpu0", "h0/gpu1"], [Src("h0/gpu0")]);

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        Assert.Equal([Hop("h0/gpu0", "h0/gpu1", Pcie)], chain.Feed);
        Assert.Equal([Hop("h0/gpu1", "h1/gpu0", Network)], chain.Hops);
    }

    // Rule 4: faster targets first.

    [Fact]
    public void FasterTargetsComeFirst()
    {
        var input = new TestTopology().Host("h0").Host("h1", speed: 1).Host("h2", speed: 3).Host("h3", speed: 2)
            .Input(["h1/gpu0", "h2/gpu0", "h3/gpu0"], [Src("h0/gpu0")]);

        Assert.Equal(["h2/gpu0", "h3/gpu0", "h1/gpu0"], Assert.Single(TransferPlanner.Plan(input).Chains).Targets);
    }

    [Fact]
    public void EquallyFastTargetsGoInKeyOrder()
    {
        var input = new TestTopology().Host("h0").Host("h3", speed: 2).Host("h1", speed: 2).Host("h2", speed: 2)
            .Input(["h3/gpu0", "h2/gpu0", "h1/gpu0"], [Src("h0/gpu0")]);

        Assert.Equal(["h1/gpu0", "h2/gpu0", "h3/gpu0"], Assert.Single(TransferPlanner.Plan(input).Chains).Targets);
    }

    [Fact]
    public void FasterMembersOfAGroupAndFasterHostsComeFirst()
    {
        var input = new TestTopology().Host("h0")
            .Host("h1", "leaf0", ("nv0", 1), ("nv0", 3), ("nv0", 2))
            .Host("h2", "leaf0", ("nv0", 4))
            .Input(["h1/gpu0", "h1/gpu1", "h1/gpu2", "h2/gpu0"], [Src("h0/gpu0")]);

        Assert.Equal(["h2/gpu0", "h1/gpu1", "h1/gpu2", "h1/gpu0"], Assert.Single(TransferPlanner.Plan(input).Chains).Targets);
    }

    // Rule 5: g source GPUs of one host each send 1/g, and the receivers all-gather over NVLink.

    [Fact]
    public void TwoSourceGpusSplitTheImageByBytesAndTheReceiversAllGather()
    {
        long[] blobs = [40, 10, 10, 20, 20]; // the only even split by bytes: blobs 0-1 (50) and 2-4 (50)
        var input = new TestTopology().Host("h0", gpus: 2).Host("h1", gpus: 2).Host("h2")
            .Input(["h1/gpu0", "h1/gpu1", "h2/gpu0"], [Src("h0/gpu1"), Src("h0/gpu0")], blobs: blobs);

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        Assert.True(chain.IsSplit);
        BlobRange first = new(0, 2), second = new(2, 3);
        Assert.Equal([new TransferHop("h0/gpu0", "h1/gpu0", Network, first), new TransferHop("h0/gpu1", "h1/gpu1", Network, second)], chain.Feed);
        Assert.Equal([new TransferHop("h1/gpu0", "h1/gpu1", NvLink, first), new TransferHop("h1/gpu1", "h1/gpu0", NvLink, second)], chain.AllGather);
        Assert.Equal([Hop("h1/gpu1", "h2/gpu0", Network)], chain.Hops);
    }

    [Fact]
    public void ThreeSourceGpusIntoOneGpuSendThreeSlicesAndNeedNoAllGather()
    {
        var input = new TestTopology().Host("h0", gpus: 3).Host("h1")
            .Input(["h1/gpu0"], [Src("h0/gpu0"), Src("h0/gpu1"), Src("h0/gpu2")], blobs: [1, 1, 1, 1, 1, 1]);

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        Assert.Equal(
            [
                new TransferHop("h0/gpu0", "h1/gpu0", Network, new BlobRange(0, 2)),
                new TransferHop("h0/gpu1", "h1/gpu0", Network, new BlobRange(2, 2)),
                new TransferHop("h0/gpu2", "h1/gpu0", Network, new BlobRange(4, 2)),
            ],
            chain.Feed);
        Assert.Empty(chain.AllGather);
        Assert.Empty(chain.Hops);
    }

    [Fact]
    public void ThreeReceiversAllGatherInARing()
    {
        var input = new TestTopology().Host("h0", gpus: 3).Host("h1", gpus: 4)
            .Input(["h1/gpu0", "h1/gpu1", "h1/gpu2", "h1/gpu3"], [Src("h0/gpu0"), Src("h0/gpu1"), Src("h0/gpu2")], blobs: [1, 1, 1]);

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        TransferHop Copy(int from, int to, int blob) => new($"h1/gpu{from}", $"h1/gpu{to}", NvLink, new BlobRange(blob, 1));
        Assert.Equal([Copy(0, 1, 0), Copy(1, 2, 1), Copy(2, 0, 2), Copy(0, 1, 2), Copy(1, 2, 0), Copy(2, 0, 1)], chain.AllGather);
        Assert.Equal([Hop("h1/gpu2", "h1/gpu3", NvLink, blobs: 3)], chain.Hops);
        var received = Deliveries(new TransferPlan([chain]), input);
        Assert.All(input.Targets, t => Assert.Equal([1, 1, 1], received[t]));
    }

    [Fact]
    public void SplitNeverHasMoreSlicesThanBlobs()
    {
        var input = new TestTopology().Host("h0", gpus: 4).Host("h1", gpus: 4)
            .Input(["h1/gpu0", "h1/gpu1"], [Src("h0/gpu0"), Src("h0/gpu1"), Src("h0/gpu2"), Src("h0/gpu3")], blobs: [5, 5]);

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        Assert.Equal(["h0/gpu0", "h0/gpu1"], chain.Senders);
    }

    // Rule 6: the host copy only without GPU sources; storage only without either.

    [Fact]
    public void HostCopyFeedsWhenEveryGpuSourceIsBusy()
    {
        var input = new TestTopology().Host("h0", gpus: 2).Host("h1")
            .Input(["h1/gpu0", "h0/gpu1"], [Src("h0/gpu0", busy: true)], hostCopy: "h0");

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        Assert.Equal(SourceKind.HostCopy, chain.Source);
        Assert.Equal([Hop("h0/memory", "h0/gpu1", HostToDevice)], chain.Feed);
        Assert.Equal([Hop("h0/gpu1", "h1/gpu0", Network)], chain.Hops);
    }

    [Fact]
    public void HostCopyOnAnotherHostSendsOverTheNetworkItsOwnLeafFirst()
    {
        var input = new TestTopology().Host("h0", "leaf0").Host("h1", "leaf1", speed: 9).Host("h2", "leaf0")
            .Input(["h1/gpu0", "h2/gpu0"], hostCopy: "h0");

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);

        Assert.Equal([Hop("h0/memory", "h2/gpu0", Network)], chain.Feed);
        Assert.Equal([Hop("h2/gpu0", "h1/gpu0", Network)], chain.Hops);
    }

    [Fact]
    public void HostCopyIsNotUsedWhileAGpuSourceCanSend()
    {
        var input = new TestTopology().Host("h0").Host("h1").Input(["h1/gpu0"], [Src("h0/gpu0")], hostCopy: "h1");

        Assert.Equal(SourceKind.Gpu, Assert.Single(TransferPlanner.Plan(input).Chains).Source);
    }

    [Fact]
    public void HostCopyFeedsItsOwnHostsTargetsBesideTheGpuChainWhereItCopiesFasterThanTheNic()
    {
        // 55.4 GB/s from pinned memory (an H200's) against a 100 Gbit/s NIC: 4.4 × faster in.
        var input = new TestTopology().Host("h0").Host("h1", gpus: 2, hostToDeviceGBps: 55.4).Host("h2")
            .Input(["h1/gpu0", "h1/gpu1", "h2/gpu0"], [Src("h0/gpu0")], hostCopy: "h1");

        var chains = TransferPlanner.Plan(input).Chains;

        Assert.Equal(2, chains.Count);
        var fromCopy = Assert.Single(chains, c => c.Source == SourceKind.HostCopy);
        Assert.Equal([Hop("h1/memory", "h1/gpu0", HostToDevice)], fromCopy.Feed);
        Assert.Equal([Hop("h1/gpu0", "h1/gpu1", NvLink)], fromCopy.Hops);
        var fromGpu = Assert.Single(chains, c => c.Source == SourceKind.Gpu);
        Assert.Equal([Hop("h0/gpu0", "h2/gpu0", Network)], fromGpu.Feed);
        Assert.Empty(fromGpu.Hops);
    }

    [Theory]
    [InlineData(null)] // not declared: the design's premise, the network about as fast
    [InlineData(12.5)] // 100 Gbit/s, no faster than the NIC
    public void HostCopyStaysUnusedWhileAGpuCanSendUnlessItsHostCopiesFaster(double? hostToDeviceGBps)
    {
        var input = new TestTopology().Host("h0").Host("h1", hostToDeviceGBps: hostToDeviceGBps)
            .Input(["h1/gpu0"], [Src("h0/gpu0")], hostCopy: "h1");

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);
        Assert.Equal([Hop("h0/gpu0", "h1/gpu0", Network)], chain.Feed);
    }

    [Fact]
    public void NamedSendersSendEvenWhereTheHostCopyIsFaster()
    {
        var input = new TestTopology().Host("h0").Host("h1", hostToDeviceGBps: 55.4)
            .Input(["h1/gpu0"], [Src("h0/gpu0")], hostCopy: "h1") with { HostCopyBesideGpus = false };

        var chain = Assert.Single(TransferPlanner.Plan(input).Chains);
        Assert.Equal([Hop("h0/gpu0", "h1/gpu0", Network)], chain.Feed);
    }

    [Fact]
    public void ASenderOnTheHostCopysHostFeedsItsNeighboursRatherThanTheCopy()
    {
        var input = new TestTopology().Host("h0", gpus: 2, hostToDeviceGBps: 55.4).Host("h1")
            .Input(["h0/gpu1", "h1/gpu0"], [Src("h0/gpu0")], hostCopy: "h0");

        var chains = TransferPlanner.Plan(input).Chains;

        Assert.All(chains, c => Assert.Equal(SourceKind.Gpu, c.Source));
        Assert.Contains(chains, c => c.Feed.SequenceEqual([Hop("h0/gpu0", "h0/gpu1", NvLink)]));
    }

    [Fact]
    public void StorageFeedsOneChainPerLeafWhenThereIsNoOtherSource()
    {
        var input = new TestTopology().Host("h0", "leaf0").Host("h1", "leaf1").Host("h2", "leaf0")
            .Input(["h0/gpu0", "h1/gpu0", "h2/gpu0"], [Src("h2/gpu0", busy: true)]);

        var chains = TransferPlanner.Plan(input).Chains;

        // h2/gpu0 is a (busy) source, so it is no target; there is no host copy.
        Assert.Equal(2, chains.Count);
        Assert.All(chains, c => Assert.Equal(SourceKind.Storage, c.Source));
        Assert.Equal([Hop("storage", "h0/gpu0", Storage)], chains[0].Feed);
        Assert.Equal([Hop("storage", "h1/gpu0", Storage)], chains[1].Feed);
    }

    [Fact]
    public void NoSourceAtAllIsAnError()
    {
        var input = new TestTopology().Host("h0").Input(["h0/gpu0"]) with { StorageAvailable = false };

        var error = Assert.Throws<ArgumentException>(() => TransferPlanner.Plan(input));
        Assert.Contains("no source", error.Message);
    }

    // Rule 7: targets that already hold the model are dropped.

    [Fact]
    public void TargetsThatAreSourcesAreDropped()
    {
        var input = new TestTopology().Host("h0").Host("h1").Input(["h0/gpu0", "h1/gpu0"], [Src("h0/gpu0")]);

        Assert.Equal(["h1/gpu0"], Assert.Single(TransferPlanner.Plan(input).Chains).Targets);
    }

    [Fact]
    public void PlanIsEmptyWhenEveryTargetIsASource()
    {
        var input = new TestTopology().Host("h0").Input(["h0/gpu0"], [Src("h0/gpu0", busy: true)]);

        var plan = TransferPlanner.Plan(input);

        Assert.Empty(plan.Chains);
        Assert.Equal(TransferPlan.Empty, plan);
        Assert.Equal(0, plan.EstimateSeconds(input));
    }

    // Outputs for the grains and logs.

    [Fact]
    public void FirstHopsNameEachTargetsUpstream()
    {
        var input = new TestTopology().Host("h0", gpus: 2).Host("h1", gpus: 2).Host("h2")
            .Input(["h1/gpu0", "h1/gpu1", "h2/gpu0"], [Src("h0/gpu0"), Src("h0/gpu1")], blobs: [1, 1, 1, 1, 1]);

        var plan = TransferPlanner.Plan(input);

        Assert.Equal(["h1/gpu0", "h1/gpu1", "h2/gpu0"], plan.FirstHops.Select(h => h.To));
        Assert.Equal(new TransferHop("h0/gpu0", "h1/gpu0", Network, new BlobRange(0, 2)), plan.FirstHopOf("h1/gpu0"));
        Assert.Equal(new TransferHop("h0/gpu1", "h1/gpu1", Network, new BlobRange(2, 3)), plan.FirstHopOf("h1/gpu1"));
        Assert.Equal(Hop("h1/gpu1", "h2/gpu0", Network), plan.FirstHopOf("h2/gpu0"));
        Assert.Throws<ArgumentException>(() => plan.FirstHopOf("h0/gpu0"));
    }

    [Fact]
    public void DescribeShowsEveryHop()
    {
        var input = new TestTopology().Host("h0", gpus: 2).Host("h1", gpus: 2).Host("h2")
            .Input(["h1/gpu0", "h1/gpu1", "h2/gpu0"], [Src("h0/gpu0"), Src("h0/gpu1")], blobs: [1, 1, 1, 1]);

        Assert.Equal(
            "3 target(s) in 1 chain(s)\n" +
            "chain 1 (leaf0, from Gpu, split over 2: h0/gpu0 -Network-> h1/gpu0 [blobs 0-1]; h0/gpu1 -Network-> h1/gpu1 [blobs 2-3]; " +
            "all-gather: h1/gpu0 -> h1/gpu1 [blobs 0-1], h1/gpu1 -> h1/gpu0 [blobs 2-3]; then h1/gpu1 -Network-> h2/gpu0)",
            TransferPlanner.Plan(input).Describe());
        var simple = new TestTopology().Host("h0").Host("h1", gpus: 2).Input(["h1/gpu0", "h1/gpu1"], [Src("h0/gpu0")]);
        Assert.Equal(
            "2 target(s) in 1 chain(s)\nchain 1 (leaf0, from Gpu: h0/gpu0 -Network-> h1/gpu0 -NvLink-> h1/gpu1)",
            TransferPlanner.Plan(simple).Describe());
        Assert.Equal("no transfers: every target already holds the model", TransferPlan.Empty.Describe());
    }
}
