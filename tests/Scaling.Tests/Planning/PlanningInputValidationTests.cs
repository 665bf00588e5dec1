using BlitzScale.Scaling.Planning;
using static BlitzScale.Scaling.Tests.Planning.TestTopology;

namespace BlitzScale.Scaling.Tests.Planning;

/// <summary>Bad inputs fail with an <see cref="ArgumentException"/> that names the bad item.</summary>
public sealed class PlanningInputValidationTests
{
    private static readonly PlanningInput Valid =
        new TestTopology().Host("h0").Host("h1", gpus: 2).Input(["h1/gpu0"], [Src("h0/gpu0")]);

    public static TheoryData<string, string> Cases() => new()
    {
        { "unknown source", "h9/gpu0" },
        { "unknown target", "h8/gpu3" },
        { "empty targets", "targets" },
        { "duplicate host", "h0" },
        { "duplicate GPU", "h1/gpu1" },
        { "duplicate source", "h0/gpu0" },
        { "duplicate target", "h1/gpu0" },
        { "zero blob", "blob 2" },
        { "negative blob", "blob 0" },
        { "no blobs", "blob" },
        { "GPU on unknown host", "h7" },
        { "GPU key of another host", "h0/gpu5" },
        { "unknown host copy", "h6" },
        { "zero streams per GPU", "streams per GPU" },
        { "zero streams per NIC", "streams per host NIC" },
        { "bad NIC", "h0" },
        { "bad host-to-GPU rate", "host-to-GPU copy rate -1" },
        { "bad speed", "h1/gpu1" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadInputIsRejectedNamingTheItem(string @case, string named)
    {
        var error = Assert.Throws<ArgumentException>(() => TransferPlanner.Plan(Break(@case)));

        Assert.Contains(named, error.Message);
        Assert.Equal("input", error.ParamName);
    }

    [Fact]
    public void EstimateRejectsAPlanThatNamesUnknownEndpoints()
    {
        var plan = new TransferPlan([new TransferChain("leaf0", SourceKind.Gpu,
            [new TransferHop("h0/gpu0", "h5/gpu0", LinkType.Network, BlobRange.All(5))], [], [])]);

        var error = Assert.Throws<ArgumentException>(() => plan.EstimateSeconds(Valid));
        Assert.Contains("h5/gpu0", error.Message);
    }

    [Fact]
    public void EstimateRejectsNonPositiveLinkRates()
    {
        var plan = TransferPlanner.Plan(Valid);

        var error = Assert.Throws<ArgumentException>(() => plan.EstimateSeconds(Valid, new LinkBandwidths { StorageGBps = 0 }));
        Assert.Contains("StorageGBps", error.Message);
    }

    private static PlanningInput Break(string @case) => @case switch
    {
        "unknown source" => Valid with { Sources = [Src("h9/gpu0")] },
        "unknown target" => Valid with { Targets = ["h1/gpu0", "h8/gpu3"] },
        "empty targets" => Valid with { Targets = [] },
        "duplicate host" => Valid with { Hosts = [.. Valid.Hosts, new HostSpec("h0", 10, "leaf1")] },
        "duplicate GPU" => Valid with { Gpus = [.. Valid.Gpus, new GpuSpec("h1/gpu1", "h1", "nv0")] },
        "duplicate source" => Valid with { Sources = [Src("h0/gpu0"), Src("h0/gpu0", SourceRole.Decode)] },
        "duplicate target" => Valid with { Targets = ["h1/gpu0", "h1/gpu1", "h1/gpu0"] },
        "zero blob" => Valid with { BlobSizes = [1, 2, 0, 4] },
        "negative blob" => Valid with { BlobSizes = [-1, 2] },
        "no blobs" => Valid with { BlobSizes = [] },
        "GPU on unknown host" => Valid with { Gpus = [.. Valid.Gpus, new GpuSpec("h7/gpu0", "h7", "nv0")] },
        "GPU key of another host" => Valid with { Gpus = [.. Valid.Gpus, new GpuSpec("h0/gpu5", "h1", "nv0")] },
        "unknown host copy" => Valid with { HostCopy = "h6" },
        "zero streams per GPU" => Valid with { Limits = new PlanningLimits(MaxStreamsPerGpu: 0) },
        "zero streams per NIC" => Valid with { Limits = new PlanningLimits(MaxStreamsPerHostNic: 0) },
        "bad NIC" => Valid with { Hosts = [new HostSpec("h0", 0, "leaf0"), Valid.Hosts[1]] },
        "bad host-to-GPU rate" => Valid with { Hosts = [Valid.Hosts[0], new HostSpec("h1", 100, "leaf0", -1)] },
        "bad speed" => Valid with { Gpus = [Valid.Gpus[0], Valid.Gpus[1], Valid.Gpus[2] with { RelativeSpeed = double.NaN }] },
        _ => throw new ArgumentOutOfRangeException(nameof(@case), @case, null),
    };
}
