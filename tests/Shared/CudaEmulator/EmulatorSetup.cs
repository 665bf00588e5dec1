using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

// One emulated device per process: tests take turns, so one that fails a launch on purpose (the error is sticky until
// its context is released, as on a GPU) never poisons another's.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace BlitzScale.Tests.Shared;

/// <summary>
/// Loads the CUDA emulator's libraries by path before any test runs. They carry the sonames the bindings ask for
/// (libcuda.so.1, libcublas.so.13, libnvrtc.so.13), and the dynamic loader answers a later dlopen of a soname with
/// the library already loaded under it: every CUDA call of this process goes to the emulator.
/// </summary>
internal static class EmulatorSetup
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "cuda-emulator");

    public static string[] Libraries { get; } = ["libcuda.so.1", "libcublas.so.13", "libnvrtc.so.13"];

    [ModuleInitializer]
    internal static void Load()
    {
        foreach (string library in Libraries)
        {
            string path = Path.Combine(Directory, library);
            if (!File.Exists(path))
                throw new FileNotFoundException($"the CUDA emulator is not built: {path} is missing (the test project's BuildCudaEmulator target builds it with g++)", path);
            NativeLibrary.Load(path);
        }
        // Emulator images must never land in the cache a real GPU's cubins use.
        Environment.SetEnvironmentVariable("BLITZSCALE_CACHE", System.IO.Directory.CreateTempSubdirectory("blitz-emulated-").FullName);
    }
}
