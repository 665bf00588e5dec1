using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda;

/// <summary>A kernel of a loaded <see cref="CudaModule"/> (CUfunction).</summary>
public sealed class CudaFunction
{
    private readonly CudaModule _module;
    private readonly nint _handle;

    internal CudaFunction(CudaModule module, nint handle, string name)
    {
        _module = module;
        _handle = handle;
        Name = name;
    }

    /// <summary>The kernel's name.</summary>
    public string Name { get; }

    /// <summary>
    /// Queues the kernel (cuLaunchKernel) on <paramref name="stream"/>, or on the legacy NULL stream when it is null.
    /// <paramref name="argumentPointers"/> holds the address of each argument's value, in parameter order; the values
    /// must stay in place until this returns (the driver copies them at launch), e.g. locals and <c>stackalloc</c>.
    /// </summary>
    /// <exception cref="CudaException">The launch was refused (e.g. CUDA_ERROR_INVALID_VALUE for a too-large block).</exception>
    public unsafe void Launch((uint X, uint Y, uint Z) grid, (uint X, uint Y, uint Z) block, uint sharedBytes, CudaStream? stream,
        ReadOnlySpan<nint> argumentPointers)
    {
        // Touching the module's handle fails fast, with a clear message, after it was unloaded.
        _ = _module.Handle;
        _module.Context.MakeCurrent();
        nint streamHandle = stream?.Handle ?? 0;
        fixed (nint* arguments = argumentPointers)
        {
            int result = CuDriver.cuLaunchKernel(_handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, sharedBytes, streamHandle,
                argumentPointers.IsEmpty ? null : (void**)arguments, null);
            if (result != CuResultNames.Success)
            {
                throw CudaCheck.DriverError(result, "cuLaunchKernel",
                    $"kernel \"{Name}\", grid ({grid.X}, {grid.Y}, {grid.Z}), block ({block.X}, {block.Y}, {block.Z}), {sharedBytes} B shared");
            }
        }
    }
}
