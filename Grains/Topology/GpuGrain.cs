using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Placement;

namespace BlitzScale.Grains.Topology;

/// <summary>
/// One GPU of this host: memory accounting and residents. Its execution loop is the host's
/// <see cref="GpuDevices"/> entry, shared with the shards placed on it.
/// </summary>
[GpuHostPlacement]
internal sealed class GpuGrain(GpuHostOptions host, ThisHost thisHost, ILocalSiloDetails silo) : Grain, IGpuGrain
{
    private readonly Dictionary<string, GpuResident> _residents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _warmSince = new(StringComparer.Ordinal);
    private long _warmClock;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = GpuKey.Parse(this.GetPrimaryKeyString());
        if (key.Host != host.Host)
            throw new InvalidOperationException($"GPU \"{this.GetPrimaryKeyString()}\" activated on host \"{host.Host}\"");
        if (key.Index >= host.Gpus)
            throw new ArgumentException($"host \"{host.Host}\" has {host.Gpus} GPU(s): gpu{key.Index} does not exist");
        // A device's accounting must outlive idle periods.
        this.DelayDeactivation(TimeSpan.FromDays(3650));
        return Task.CompletedTask;
    }

    public Task<HostInfo> DescribeHost() => Task.FromResult(thisHost.Describe());

    public Task<GpuStatus> GetStatus() => Task.FromResult(new GpuStatus(
        this.GetPrimaryKeyString(), host.Host, host.Backend, host.GpuMemoryBytes, UsedBytes(),
        _residents.Values.OrderBy(r => r.Shard, StringComparer.Ordinal).ToList(), silo.SiloAddress.ToString(),
        ComputeBackends.IsEmulated(host.Backend), ComputeBackends.Describe(host)));

    public Task<Reservation> TryReserve(GpuResident resident)
    {
        var others = _residents.Values.Where(r => r.Shard != resident.Shard).ToList();
        if (resident.Bytes > GpuMemory.Free(host.GpuMemoryBytes, others)) return Task.FromResult(new Reservation(false, []));
        // It fits once Warm residents give way: evict the longest warm first, only as many as needed.
        long needed = GpuMemory.Used(others) + resident.Bytes - host.GpuMemoryBytes;
        var evicted = new List<string>();
        long freed = 0;
        foreach (var r in others.Where(r => r.Warm).OrderBy(r => _warmSince[r.Shard]))
        {
            if (freed >= needed) break;
            evicted.Add(r.Shard);
            freed += r.Bytes;
        }
        foreach (string shard in evicted) Forget(shard);
        _residents[resident.Shard] = resident with { Warm = false };
        _warmSince.Remove(resident.Shard);
        return Task.FromResult(new Reservation(true, evicted));
    }

    public Task SetWarm(string shard, bool warm)
    {
        if (_residents.TryGetValue(shard, out var r))
        {
            _residents[shard] = r with { Warm = warm };
            if (warm) _warmSince[shard] = ++_warmClock;
            else _warmSince.Remove(shard);
        }
        return Task.CompletedTask;
    }

    public Task ReportLoaded(string shard, int loadedLayers)
    {
        if (_residents.TryGetValue(shard, out var r)) _residents[shard] = r with { LoadedLayers = loadedLayers };
        return Task.CompletedTask;
    }

    public Task Release(string shard)
    {
        Forget(shard);
        return Task.CompletedTask;
    }

    private void Forget(string shard)
    {
        _residents.Remove(shard);
        _warmSince.Remove(shard);
    }

    private long UsedBytes() => GpuMemory.Used(_residents.Values);
}
