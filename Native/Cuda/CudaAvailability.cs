namespace BlitzScale.Native.Cuda;

/// <summary>What <see cref="CudaRuntime.Probe"/> found: whether CUDA can be used here and, if so, device 0's properties.</summary>
/// <param name="Available">A driver loaded, initialized and reported at least one device.</param>
/// <param name="Reason">Why not (e.g. <c>no CUDA device: libcuda.so.1 could not be loaded (…)</c>), or what was found.</param>
/// <param name="DeviceCount">Devices the driver reports (0 when unavailable).</param>
/// <param name="DeviceName">Device 0's name, e.g. <c>NVIDIA H200</c>.</param>
/// <param name="ComputeMajor">Device 0's compute capability, major part (9 for sm_90).</param>
/// <param name="ComputeMinor">Device 0's compute capability, minor part.</param>
/// <param name="TotalMemoryBytes">Device 0's memory.</param>
public sealed record CudaAvailability(bool Available, string Reason, int DeviceCount, string? DeviceName, int ComputeMajor, int ComputeMinor, long TotalMemoryBytes)
{
    internal static CudaAvailability Unavailable(string reason) => new(false, reason, 0, null, 0, 0, 0);
}
