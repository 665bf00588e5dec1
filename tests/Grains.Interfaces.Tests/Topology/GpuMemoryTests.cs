using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Grains.Interfaces.Tests.Topology;

/// <summary>The one free-memory rule: residents use parameter and KV bytes; Warm ones count as free because they give way.</summary>
public sealed class GpuMemoryTests
{
    private static readonly GpuResident Serving = new("a/0/0", "a", 300, 100, 4, 4);
    private static readonly GpuResident Warm = new("b/0/0", "b", 200, 50, 4, 4, Warm: true);

    [Fact]
    public void A_resident_uses_its_parameter_and_kv_bytes() => Assert.Equal(400, Serving.Bytes);

    [Fact]
    public void Used_memory_counts_warm_residents_and_free_memory_does_not()
    {
        Assert.Equal(650, GpuMemory.Used([Serving, Warm]));
        Assert.Equal(600, GpuMemory.Free(1000, [Serving, Warm]));
        Assert.Equal(1000, GpuMemory.Free(1000, []));
    }

    [Fact]
    public void A_gpu_status_reports_free_bytes_by_the_same_rule()
    {
        var status = new GpuStatus("h0/gpu0", "h0", "cpu", 1000, 650, [Serving, Warm], "silo");

        Assert.Equal(600, status.FreeBytes);
    }
}
