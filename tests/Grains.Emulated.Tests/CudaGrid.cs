using System.Runtime.CompilerServices;
using BlitzScale.Grains.Hosting;

namespace BlitzScale.Grains.Tests;

/// <summary>Puts every host of the linked grid fixtures on the cuda backend, which this process runs on the CPU emulator.</summary>
internal static class CudaGrid
{
    [ModuleInitializer]
    internal static void UseCuda()
    {
        GridBackend.Name = GpuHostOptions.CudaBackend;
        // Sixty-four stories260K generations at once take the emulator minutes; six still batch on both instances and
        // cover every golden twice.
        GridBackend.ConcurrentRequests = 6;
        // The live-scaling test keeps the busy instance loaded while the new one's layers land (about 8 s), with eight
        // requests at most unfinished, not hundreds.
        GridBackend.LiveBacklog = 8;
    }
}
