using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda;

/// <summary>Finds out, without ever throwing, whether this machine can run CUDA work.</summary>
public static class CudaRuntime
{
    /// <summary>
    /// Loads the driver (libcuda.so.1), initializes it and reads device 0. Never throws: a missing driver, a failed
    /// cuInit or zero devices come back as <see cref="CudaAvailability.Available"/> false with the reason.
    /// </summary>
    public static unsafe CudaAvailability Probe()
    {
        try
        {
            int count = DeviceInfo.InitializeAndCount();
            var device = DeviceInfo.Query(0);
            int version;
            CudaCheck.Driver(CuDriver.cuDriverGetVersion(&version), "cuDriverGetVersion");
            string reason = $"{count} CUDA device(s), driver API {version / 1000}.{version % 1000 / 10}; device 0: {device.Name} " +
                $"({device.Arch}, {device.TotalMemoryBytes / (1L << 20)} MiB)";
            return new CudaAvailability(true, reason, count, device.Name, device.ComputeMajor, device.ComputeMinor, device.TotalMemoryBytes);
        }
        catch (Exception e)
        {
            // Probing must answer on any machine: whatever failed is the reason.
            return CudaAvailability.Unavailable(e is CudaException ? e.Message : $"CUDA probe failed: {e.Message}");
        }
    }
}
