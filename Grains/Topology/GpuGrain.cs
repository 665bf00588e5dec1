using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Placement;

namespace BlitzScale.Grains.Topology;

/// <summary>
/// One GPU of this host: memory accounting and residents. Its execution loop is the host's
/// <see cref="GpuDevices"/> entry, shared with the shards placed on it.
/// </summary>
[GpuHostPlacement]
internal sealed class GpuGrain(GpuHostOptions host, ILocalSiloDetails silo) : Grain, IGpuGrain
{
    private readonly Dictionary<string, GpuResident> _residents = new(StringComparer.Ordinal);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (hostName, index) = GrainKeys.ParseGpu(this.GetPrimaryKeyString());
        if (hostName != host.Host)
            throw new InvalidOperationException($"GPU \"{this.GetPrimaryKeyString()}\" activated on host \"{host.Host}\"");
        if (index >= host.Gpus)
            throw new ArgumentException($"host \"{host.Host}\" has {host.Gpus} GPU(s): gpu{index} does not exist");
        // A device's accounting must outlive idle periods.
        this.DelayDeactivation(TimeSpan.FromDays(3650));
        return Task.CompletedTask;
    }

    public Task<GpuStatus> GetStatus() => Task.FromResult(new GpuStatus(
        this.GetPrimaryKeyString(), host.Host, host.Backend, host.GpuMemoryBytes, UsedBytes(),
        _residents.Values.OrderBy(r => r.Shard, StringComparer.Ordinal).ToList(), silo.SiloAddress.ToString()));

    public Task<bool> TryReserve(GpuResident resident)
    {
        long others = UsedBytes() - (_residents.TryGetValue(resident.Shard, out var old) ? old.ParameterBytes + old.KvCacheBytes : 0);
        if (others + resident.ParameterBytes + resident.KvCacheBytes > host.GpuMemoryBytes) return Task.FromResult(false);
        _residents[resident.Shard] = resident;
        return Task.FromResult(true);
    }

    public Task ReportLoaded(string shard, int loadedLayers)
    {
        if (_residents.TryGetValue(shard, out var r)) _residents[shard] = r with { LoadedLayers = loadedLayers };
        return Task.CompletedTask;
    }

    public Task Release(string shard)
    {
        _residents.Remove(shard);
        return Task.CompletedTask;
    }

    private long UsedBytes() => _residents.Values.Sum(r => r.ParameterBytes + r.KvCacheBytes);
}
