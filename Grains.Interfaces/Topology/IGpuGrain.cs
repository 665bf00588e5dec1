namespace BlitzScale.Grains.Interfaces.Topology;

/// <summary>
/// One GPU, keyed <c>"{host}/gpu{index}"</c>, always activated on the silo of that host. It owns the device's
/// memory accounting and its execution loop; compute never runs on Orleans scheduler threads.
/// </summary>
[Alias("blitz.IGpuGrain")]
public interface IGpuGrain : IGrainWithStringKey
{
    /// <summary>Memory, residents and the silo it lives on.</summary>
    [Alias("GetStatus")]
    Task<GpuStatus> GetStatus();

    /// <summary>Reserves memory for a shard; false (nothing reserved) when the device lacks it.</summary>
    [Alias("TryReserve")]
    Task<bool> TryReserve(GpuResident resident);

    /// <summary>Updates a shard's loaded-layer count.</summary>
    [Alias("ReportLoaded")]
    Task ReportLoaded(string shard, int loadedLayers);

    /// <summary>Frees a shard's memory.</summary>
    [Alias("Release")]
    Task Release(string shard);
}
