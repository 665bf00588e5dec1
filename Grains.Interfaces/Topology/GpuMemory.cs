namespace BlitzScale.Grains.Interfaces.Topology;

/// <summary>
/// The one rule for a GPU's memory: every resident uses its parameter and KV bytes; Warm residents count as free for a
/// new instance, because they give way to it (the GPU grain evicts them, longest warm first).
/// </summary>
public static class GpuMemory
{
    /// <summary>Bytes held by <paramref name="residents"/>, Warm ones included.</summary>
    public static long Used(IEnumerable<GpuResident> residents) => residents.Sum(r => r.Bytes);

    /// <summary>Bytes a new instance may have: the total less what the residents that are not Warm hold.</summary>
    public static long Free(long totalBytes, IEnumerable<GpuResident> residents) => totalBytes - residents.Where(r => !r.Warm).Sum(r => r.Bytes);
}
