namespace BlitzScale.Grains.Interfaces.Topology;

/// <summary>One device: memory accounting and what is resident on it.</summary>
/// <param name="Key">The GPU's key, <c>"{host}/gpu{i}"</c>.</param>
/// <param name="Host">Its host.</param>
/// <param name="Backend">Its compute backend: <c>cpu</c>, <c>cuda</c> or <c>timed</c>.</param>
/// <param name="MemoryTotalBytes">Its memory.</param>
/// <param name="MemoryUsedBytes">Memory held by its residents.</param>
/// <param name="Residents">The instance shards on it.</param>
/// <param name="SiloAddress">The silo that owns it.</param>
/// <param name="Emulated">Whether it is an emulated GPU (the timed backend): times from a cost profile, pseudo-tokens.</param>
/// <param name="BackendDescription">The backend in words, e.g. <c>timed (emulated): profile llama3-8b from FILE, dilation 5</c>.</param>
[GenerateSerializer, Immutable, Alias("blitz.GpuStatus")]
public sealed record GpuStatus(
    [property: Id(0)] string Key,
    [property: Id(1)] string Host,
    [property: Id(2)] string Backend,
    [property: Id(3)] long MemoryTotalBytes,
    [property: Id(4)] long MemoryUsedBytes,
    [property: Id(5)] IReadOnlyList<GpuResident> Residents,
    [property: Id(6)] string SiloAddress,
    [property: Id(7)] bool Emulated = false,
    [property: Id(8)] string? BackendDescription = null)
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
