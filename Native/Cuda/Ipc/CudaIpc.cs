using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda.Ipc;

/// <summary>
/// Sharing a device allocation between processes on one host (CUDA IPC memory handles): the owner exports a 64-byte
/// handle, another process opens it and reads or writes the same memory with device-to-device copies (over NVLink or
/// PCIe peer access when the processes use different GPUs; within the one device otherwise).
/// </summary>
/// <remarks>
/// A handle cannot be opened in the process that exported it (the driver refuses), and the exporter must keep the
/// allocation alive while any opener uses it.
/// </remarks>
public static class CudaIpc
{
    /// <summary>Size of a handle (CU_IPC_HANDLE_SIZE).</summary>
    public const int HandleBytes = CuIpcMemHandle.Bytes;

    /// <summary>The handle naming <paramref name="buffer"/>'s allocation (cuIpcGetMemHandle); it must be a whole allocation, not an IPC-opened one.</summary>
    public static unsafe byte[] Export(DeviceBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        buffer.Context.MakeCurrent();
        CuIpcMemHandle handle;
        CudaCheck.Driver(CuDriver.cuIpcGetMemHandle(&handle, buffer.Pointer), "cuIpcGetMemHandle", $"{buffer.Bytes}-byte buffer");
        return new ReadOnlySpan<byte>(handle.Reserved, HandleBytes).ToArray();
    }

    /// <summary>Opens a handle from another process in the most recently opened <see cref="CudaContext"/>.</summary>
    public static DeviceBuffer Open(byte[] handle) => Open(CudaContext.Ambient("cuIpcOpenMemHandle_v2"), handle);

    /// <summary>
    /// Maps another process's allocation into <paramref name="context"/> (cuIpcOpenMemHandle_v2, lazily enabling peer
    /// access). The buffer spans the whole allocation (its size from cuMemGetAddressRange_v2); disposing it unmaps it
    /// (cuIpcCloseMemHandle) and never frees it.
    /// </summary>
    /// <exception cref="ArgumentException">The handle is not 64 bytes.</exception>
    /// <exception cref="CudaException">The driver refused it (e.g. CUDA_ERROR_INVALID_CONTEXT when opened in the exporting process).</exception>
    public static unsafe DeviceBuffer Open(CudaContext context, byte[] handle)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.Length != HandleBytes)
            throw new ArgumentException($"a CUDA IPC handle has {HandleBytes} bytes; this one has {handle.Length}", nameof(handle));
        context.MakeCurrent();
        CuIpcMemHandle native;
        handle.CopyTo(new Span<byte>(native.Reserved, HandleBytes));
        ulong pointer;
        CudaCheck.Driver(CuDriver.cuIpcOpenMemHandle_v2(&pointer, native, CuFlags.IpcMemLazyEnablePeerAccess), "cuIpcOpenMemHandle_v2");
        ulong start;
        nuint bytes;
        int result = CuDriver.cuMemGetAddressRange_v2(&start, &bytes, pointer);
        if (result != CuResultNames.Success)
        {
            CuDriver.cuIpcCloseMemHandle(pointer);
            throw CudaCheck.DriverError(result, "cuMemGetAddressRange_v2", "sizing an IPC-opened allocation");
        }
        return new DeviceBuffer(context, pointer, (long)bytes - (long)(pointer - start), DeviceBuffer.Ownership.IpcMapped);
    }
}
