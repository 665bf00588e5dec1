namespace BlitzScale.Grains.Interfaces.Topology;

/// <summary>
/// One GPU, keyed <c>"{host}/gpu{index}"</c>, always activated on the silo of that host. It owns the device's
/// memory accounting and its execution loop; compute never runs on Orleans scheduler threads.
/// </summary>
[Alias("blitz.IGpuGrain")]
public interface IGpuGrain : IGrainWithStringKey
{
    /// <summary>What the silo of this GPU declares about its host (the topology grain asks when a registration is missing).</summary>
    [Alias("DescribeHost")]
    Task<HostInfo> DescribeHost();

    /// <summary>Memory, residents and the silo it lives on.</summary>
    [Alias("GetStatus")]
    Task<GpuStatus> GetStatus();

    /// <summary>
    /// Reserves memory for a shard, evicting Warm residents (least recently warmed first) when that makes it fit; the
    /// caller unloads the evicted shards. Nothing is reserved or evicted when even that would not make it fit.
    /// </summary>
    [Alias("TryReserve")]
    Task<Reservation> TryReserve(GpuResident resident);

    /// <summary>Marks a shard Warm (evictable) or not.</summary>
    [Alias("SetWarm")]
    Task SetWarm(string shard, bool warm);

    /// <summary>Updates a shard's loaded-layer count.</summary>
    [Alias("ReportLoaded")]
    Task ReportLoaded(string shard, int loadedLayers);

    /// <summary>Frees a shard's memory.</summary>
    [Alias("Release")]
    Task Release(string shard);
}

/// <summary>The answer to <see cref="IGpuGrain.TryReserve"/>: whether memory was reserved and which Warm shards gave theirs up.</summary>
[GenerateSerializer, Immutable, Alias("blitz.Reservation")]
public sealed record Reservation(
    [property: Id(0)] bool Reserved,
    [property: Id(1)] IReadOnlyList<string> Evicted);
