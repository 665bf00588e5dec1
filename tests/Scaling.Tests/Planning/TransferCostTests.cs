using BlitzScale.Scaling.Planning;
using static BlitzScale.Scaling.Planning.LinkType;
using static BlitzScale.Scaling.Tests.Planning.PlanSimulator;
using static BlitzScale.Scaling.Tests.Planning.TestTopology;

namespace BlitzScale.Scaling.Tests.Planning;

/// <summary>The pipelined cost model of <see cref="TransferPlan.EstimateSeconds"/>.</summary>
public sealed class TransferCostTests
{
    private const double Image = 3.4e9;         // LargeImage: 34 blobs of 100 MB
    private const double Blob = 1e8;
    private const double Nic100 = 100e9 / 8;    // 100 Gbit/s in bytes per second

    private static readonly TestTopology FourHosts = new TestTopology().Host("h0", gpus: 2).Host("h1", gpus: 2).Host("h2").Host("h3");

    [Fact]
    public void ChainOfThreeTakesAboutAsLongAsOneTarget()
    {
        var one = FourHosts.Input(["h1/gpu0"], [Src("h0/gpu0")], blobs: LargeImage);
        var three = FourHosts.Input(["h1/gpu0", "h2/gpu0", "h3/gpu0"], [Src("h0/gpu0")], blobs: LargeImage);

        double single = TransferPlanner.Plan(one).EstimateSeconds(one);
        double chain = TransferPlanner.Plan(three).EstimateSeconds(three);

        Assert.Equal(Image / Nic100, single, 1e-9);
        Assert.Equal(Image / Nic100 + 2 * Blob / Nic100, chain, 1e-9); // the first hop plus one blob per extra hop
        Assert.InRange(chain / single, 1.0, 1.15);
    }

    [Fact]
    public void ThreeTargetsFedOneAfterAnotherFromOneSourceTakeAboutThreeTimesAsLong()
    {
        var input = FourHosts.Input(["h1/gpu0", "h2/gpu0", "h3/gpu0"], [Src("h0/gpu0")], blobs: LargeImage);
        // The naive way: the source's NIC carries three whole images, one stream per target.
        string[] targets = ["h1/gpu0", "h2/gpu0", "h3/gpu0"];
        var fanOut = new TransferPlan(targets
            .Select(t => new TransferChain("leaf0", SourceKind.Gpu, [Hop("h0/gpu0", t, Network, 34)], [], []))
            .ToArray());
        var one = FourHosts.Input(["h1/gpu0"], [Src("h0/gpu0")], blobs: LargeImage);

        double ratio = fanOut.EstimateSeconds(input) / TransferPlanner.Plan(one).EstimateSeconds(one);

        Assert.InRange(ratio, 2.9, 3.1);
    }

    [Fact]
    public void SlowerNicOfEitherHostLimitsANetworkHop()
    {
        var input = new TestTopology().Host("h0").Host("h1", nicGbps: 10)
            .Input(["h1/gpu0"], [Src("h0/gpu0")], blobs: LargeImage);

        Assert.Equal(Image / (10e9 / 8), TransferPlanner.Plan(input).EstimateSeconds(input), 1e-9);
    }

    [Fact]
    public void SlowestStageTakesTheWholeImageAndEveryOtherStageOneBlob()
    {
        var input = FourHosts.Input(["h1/gpu0", "h1/gpu1"], [Src("h0/gpu0")], blobs: LargeImage);

        double seconds = TransferPlanner.Plan(input).EstimateSeconds(input);

        Assert.Equal(Image / Nic100 + Blob / 300e9, seconds, 1e-9);
    }

    [Fact]
    public void LinkRatesCanBeOverridden()
    {
        var input = FourHosts.Input(["h0/gpu1"], [Src("h0/gpu0")], blobs: LargeImage);
        var plan = TransferPlanner.Plan(input);

        Assert.Equal(Image / 300e9, plan.EstimateSeconds(input), 1e-12);
        Assert.Equal(Image / 50e9, plan.EstimateSeconds(input, LinkBandwidths.Default with { NvLinkGBps = 50 }), 1e-12);
    }

    [Fact]
    public void HostCopyAndStorageUseTheirOwnRates()
    {
        var fromCopy = FourHosts.Input(["h0/gpu1"], hostCopy: "h0", blobs: LargeImage);
        var fromStorage = FourHosts.Input(["h0/gpu1"], blobs: LargeImage);

        Assert.Equal(Image / 25e9, TransferPlanner.Plan(fromCopy).EstimateSeconds(fromCopy), 1e-12);
        Assert.Equal(Image / 2e9, TransferPlanner.Plan(fromStorage).EstimateSeconds(fromStorage), 1e-12);
        Assert.Equal(Image / 4e9, TransferPlanner.Plan(fromStorage).EstimateSeconds(fromStorage, new LinkBandwidths { StorageGBps = 4 }), 1e-12);
    }

    [Fact]
    public void SplitSendHelpsWhenOneGpuCannotFillTheNic()
    {
        var split = FourHosts.Input(["h1/gpu0", "h1/gpu1"], [Src("h0/gpu0"), Src("h0/gpu1")], blobs: LargeImage);
        var single = FourHosts.Input(["h1/gpu0", "h1/gpu1"], [Src("h0/gpu0")], blobs: LargeImage);
        var halfNicPerGpu = new LinkBandwidths { GpuNetworkGbps = 50 };

        double splitSeconds = TransferPlanner.Plan(split).EstimateSeconds(split, halfNicPerGpu);
        double singleSeconds = TransferPlanner.Plan(single).EstimateSeconds(single, halfNicPerGpu);

        // One GPU pushes 50 of the NIC's 100 Gbit/s; two GPUs with half the image each fill it.
        Assert.Equal(Image / (50e9 / 8) + Blob / 300e9, singleSeconds, 1e-9);
        Assert.InRange(splitSeconds / singleSeconds, 0.5, 0.55);
        // Where one GPU fills the NIC, splitting neither helps nor hurts beyond the all-gather's blob.
        double uncapped = TransferPlanner.Plan(split).EstimateSeconds(split);
        Assert.InRange(uncapped / TransferPlanner.Plan(single).EstimateSeconds(single), 0.99, 1.01);
    }
}
