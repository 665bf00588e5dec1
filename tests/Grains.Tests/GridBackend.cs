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

    /// <summary>
    /// While a live-scaling test keeps load on the busy instance during a load, at most this many requests stay unfinished;
    /// null (the cpu run) adds two every 50 ms whatever is unfinished. The emulator's generations take seconds each, so the
    /// cuda run caps them, or hundreds would queue during the load.
    /// </summary>
    public static int? LiveBacklog { get; set; }
}
