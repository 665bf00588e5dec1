using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda;

/// <summary>The properties of one device, read from the driver.</summary>
internal sealed record DeviceInfo(int Ordinal, int Handle, string Name, int ComputeMajor, int ComputeMinor, long TotalMemoryBytes)
{
    public string Arch => $"sm_{ComputeMajor}{ComputeMinor}";

    /// <summary>Loads the driver and runs cuInit (idempotent), then counts devices.</summary>
    /// <exception cref="CudaUnavailableException">The driver is missing, cuInit fails, or no device is present.</exception>
    public static unsafe int InitializeAndCount()
    {
        if (!CuDriver.Binding.TryLoad(out string reason))
            throw new CudaUnavailableException("cuInit", $"no CUDA device: {reason}");
        int result = CuDriver.cuInit(0);
        if (result != CuResultNames.Success)
        {
            string name = CuResultNames.Of(result);
            throw new CudaUnavailableException("cuInit", result, name, $"no CUDA device: cuInit failed: {name} ({result})");
        }
        int count;
        CudaCheck.Driver(CuDriver.cuDeviceGetCount(&count), "cuDeviceGetCount");
        if (count == 0)
            throw new CudaUnavailableException("cuDeviceGetCount", CuResultNames.Success, "CUDA_SUCCESS", "no CUDA device: the driver loaded but reports 0 devices");
        return count;
    }

    /// <summary>Reads device <paramref name="ordinal"/>; the driver must be initialized.</summary>
    public static unsafe DeviceInfo Query(int ordinal)
    {
        int device, major, minor;
        nuint bytes;
        CudaCheck.Driver(CuDriver.cuDeviceGet(&device, ordinal), "cuDeviceGet", $"device {ordinal}");
        const int NameBytes = 256;
        byte* name = stackalloc byte[NameBytes];
        CudaCheck.Driver(CuDriver.cuDeviceGetName(name, NameBytes, device), "cuDeviceGetName");
        CudaCheck.Driver(CuDriver.cuDeviceGetAttribute(&major, CuDeviceAttribute.ComputeCapabilityMajor, device), "cuDeviceGetAttribute");
        CudaCheck.Driver(CuDriver.cuDeviceGetAttribute(&minor, CuDeviceAttribute.ComputeCapabilityMinor, device), "cuDeviceGetAttribute");
        CudaCheck.Driver(CuDriver.cuDeviceTotalMem_v2(&bytes, device), "cuDeviceTotalMem_v2");
        return new DeviceInfo(ordinal, device, new string((sbyte*)name), major, minor, (long)bytes);
    }
}
