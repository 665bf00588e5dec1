namespace BlitzScale.Grains.Interfaces.Topology;

/// <summary>One device: memory accounting and what is resident on it.</summary>
[GenerateSerializer, Immutable, Alias("blitz.GpuStatus")]
public sealed record GpuStatus(
    [property: Id(0)] string Key,
    [property: Id(1)] string Host,
    [property: Id(2)] string Backend,
    [property: Id(3)] long MemoryTotalBytes,
    [property: Id(4)] long MemoryUsedBytes,
    [property: Id(5)] IReadOnlyList<GpuResident> Residents,
    [property: Id(6)] string SiloAddress)
{
    /// <summary>Bytes a new instance may have, Warm residents counted as free (<see cref="GpuMemory.Free"/>).</summary>
    public long FreeBytes => GpuMemory.Free(MemoryTotalBytes, Residents);
}

/// <summary>One instance shard on a GPU and the memory it holds; a Warm one may be evicted when the memory is needed.</summary>
[GenerateSerializer, Immutable, Alias("blitz.GpuResident")]
public sealed record GpuResident(
    [property: Id(0)] string Shard,
    [property: Id(1)] string Model,
    [property: Id(2)] long ParameterBytes,
    [property: Id(3)] long KvCacheBytes,
    [property: Id(4)] int LoadedLayers,
    [property: Id(5)] int TotalLayers,
    [property: Id(6)] bool Warm = false)
{
    /// <summary>Its parameter and KV-cache bytes.</summary>
    public long Bytes => ParameterBytes + KvCacheBytes;
}
