using BlitzScale.Grains.Hosting;

namespace BlitzScale.Grains.Tests;

/// <summary>
/// The compute backend of the test grid's hosts: cpu here. A project that links the grid's tests to run them on another
/// backend (Grains.Emulated.Tests: cuda over the CPU emulator) sets it in a module initializer, before any fixture starts.
/// </summary>
internal static class GridBackend
{
    public static string Name { get; set; } = GpuHostOptions.CpuBackend;

    /// <summary>
    /// How many requests the concurrency tests send at once. The emulator computes every emulated GPU's kernels on the
    /// CPU, one launch at a time, so the cuda run sends fewer; what the tests assert of each request is the same.
    /// </summary>
    public static int ConcurrentRequests { get; set; } = 64;
}
