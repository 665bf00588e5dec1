using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Native.Serving;

namespace BlitzScale.Grains.Hosting;

/// <summary>
/// The execution loops of this host's GPUs: one dedicated thread per device, created on first use and
/// shared by every shard placed on it, so compute never runs on Orleans scheduler threads.
/// </summary>
public sealed class GpuDevices(GpuHostOptions host) : IDisposable
{
    private readonly Dictionary<int, DeviceExecutor> _devices = [];
    private readonly Lock _lock = new();

    /// <summary>The execution loop of GPU <paramref name="index"/>.</summary>
    public DeviceExecutor Get(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, host.Gpus);
        lock (_lock)
        {
            if (!_devices.TryGetValue(index, out var device))
                _devices[index] = device = new DeviceExecutor(new GpuKey(host.Host, index).ToString());
            return device;
        }
    }

    /// <summary>Stops every loop.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var device in _devices.Values) device.Dispose();
            _devices.Clear();
        }
    }
}
