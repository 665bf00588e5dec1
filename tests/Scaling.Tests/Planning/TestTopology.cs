using BlitzScale.Scaling.Planning;

namespace BlitzScale.Scaling.Tests.Planning;

/// <summary>Builds hand-made topologies for planner tests: hosts "hN" with GPUs "hN/gpuI".</summary>
internal sealed class TestTopology
{
    /// <summary>An image of 1 + 32 + 1 blobs of 100 MB each, large enough for the pipelining argument.</summary>
    public static readonly long[] LargeImage = Enumerable.Repeat(100_000_000L, 34).ToArray();

    private readonly List<HostSpec> hosts = [];
    private readonly List<GpuSpec> gpus = [];

    /// <summary>Adds a host with <paramref name="gpus"/> GPUs, all in NVLink group "nv0" with the given speed.</summary>
    public TestTopology Host(string name, string leaf = "leaf0", int gpus = 1, double nicGbps = 100, double speed = 1.0, double? hostToDeviceGBps = null)
    {
        hosts.Add(new HostSpec(name, nicGbps, leaf, hostToDeviceGBps));
        for (int i = 0; i < gpus; i++) this.gpus.Add(new GpuSpec($"{name}/gpu{i}", name, "nv0", speed));
        return this;
    }

    /// <summary>Adds a host whose GPUs are described one by one as (NVLink group, speed).</summary>
    public TestTopology Host(string name, string leaf, params (string Group, double Speed)[] gpus)
    {
        hosts.Add(new HostSpec(name, 100, leaf));
        for (int i = 0; i < gpus.Length; i++) this.gpus.Add(new GpuSpec($"{name}/gpu{i}", name, gpus[i].Group, gpus[i].Speed));
        return this;
    }

    public PlanningInput Input(
        IEnumerable<string> targets, IEnumerable<GpuSource>? sources = null, string? hostCopy = null, long[]? blobs = null) =>
        new(hosts.ToArray(), gpus.ToArray(), blobs ?? [100, 200, 300, 200, 100], (sources ?? []).ToArray(), hostCopy, targets.ToArray());

    /// <summary>An idle source.</summary>
    public static GpuSource Src(string gpu, SourceRole role = SourceRole.Serving, bool busy = false) => new(gpu, role, busy);
}
