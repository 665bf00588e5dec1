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
internal sealed class GpuGrain(GpuHostOptions host, ThisHost thisHost, ILocalSiloDetails silo) : Grain, IGpuGrain
{
    private readonly Dictionary<string, GpuResident> _residents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _warmSince = new(StringComparer.Ordinal);
    private long _warmClock;

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

    public Task<HostInfo> DescribeHost() => Task.FromResult(thisHost.Describe());

    public Task<GpuStatus> GetStatus() => Task.FromResult(new GpuStatus(
        this.GetPrimaryKeyString(), host.Host, host.Backend, host.GpuMemoryBytes, UsedBytes(),
        _residents.Values.OrderBy(r => r.Shard, StringComparer.Ordinal).ToList(), silo.SiloAddress.ToString()));

    public Task<Reservation> TryReserve(GpuResident resident)
    {
        long others = UsedBytes() - (_residents.TryGetValue(resident.Shard, out var old) ? Bytes(old) : 0);
        long needed = others + Bytes(resident) - host.GpuMemoryBytes;
        var evicted = new List<string>();
        if (needed > 0)
        {
            // Warm residents give way, longest warm first; only if that frees enough.
            var warm = _residents.Values.Where(r => r.Warm && r.Shard != resident.Shard).OrderBy(r => _warmSince[r.Shard]).ToList();
            long freed = 0;
            foreach (var r in warm)
            {
                if (freed >= needed) break;
                evicted.Add(r.Shard);
                freed += Bytes(r);
            }
            if (freed < needed) return Task.FromResult(new Reservation(false, []));
            foreach (string shard in evicted) Forget(shard);
        }
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

    private static long Bytes(GpuResident r) => r.ParameterBytes + r.KvCacheBytes;

    private long UsedBytes() => _residents.Values.Sum(Bytes);
}
