namespace BlitzScale.Native.Cuda.Interop;

/// <summary>
/// The CUDA driver API entry points we call (libcuda.so.1), as unmanaged function pointers resolved on first call.
/// Where the header maps a name onto a versioned symbol (<c>#define cuMemAlloc cuMemAlloc_v2</c>) the versioned export
/// is bound, since that is what the driver's current ABI is. Every function returns a CUresult (0 = success);
/// <see cref="CudaCheck"/> turns the others into exceptions.
/// </summary>
/// <remarks>
/// Handles (CUcontext, CUstream, CUevent, CUmodule, CUfunction) are opaque pointers; CUdeviceptr is 64-bit;
/// size_t is <see cref="nuint"/>.
/// </remarks>
internal static unsafe class CuDriver
{
    public const string Library = "libcuda.so.1";

    public static readonly NativeBinding Binding = new(Library, "no CUDA device");

    private static nint s_init, s_driverGetVersion, s_deviceGetCount, s_deviceGet, s_deviceGetName, s_deviceGetAttribute,
        s_deviceTotalMem, s_primaryCtxRetain, s_primaryCtxRelease, s_ctxSetCurrent, s_ctxGetCurrent, s_ctxSynchronize,
        s_memAlloc, s_memFree, s_memGetInfo, s_memGetAddressRange, s_memHostAlloc, s_memFreeHost, s_memHostRegister,
        s_memHostUnregister, s_memcpyHtoD, s_memcpyDtoH, s_memcpyDtoD, s_memcpyHtoDAsync, s_memcpyDtoHAsync,
        s_memcpyDtoDAsync, s_memsetD8, s_streamCreate, s_streamDestroy, s_streamSynchronize, s_streamWaitEvent,
        s_eventCreate, s_eventDestroy, s_eventRecord, s_eventQuery, s_eventSynchronize, s_eventElapsedTime,
        s_moduleLoadData, s_moduleUnload, s_moduleGetFunction, s_launchKernel, s_ipcGetMemHandle, s_ipcOpenMemHandle,
        s_ipcCloseMemHandle, s_getErrorName;

    private static nint Fn(ref nint slot, string name) => Binding.Export(ref slot, name);

    public static int cuInit(uint flags) =>
        ((delegate* unmanaged<uint, int>)Fn(ref s_init, "cuInit"))(flags);

    public static int cuDriverGetVersion(int* version) =>
        ((delegate* unmanaged<int*, int>)Fn(ref s_driverGetVersion, "cuDriverGetVersion"))(version);

    public static int cuDeviceGetCount(int* count) =>
        ((delegate* unmanaged<int*, int>)Fn(ref s_deviceGetCount, "cuDeviceGetCount"))(count);

    public static int cuDeviceGet(int* device, int ordinal) =>
        ((delegate* unmanaged<int*, int, int>)Fn(ref s_deviceGet, "cuDeviceGet"))(device, ordinal);

    public static int cuDeviceGetName(byte* name, int length, int device) =>
        ((delegate* unmanaged<byte*, int, int, int>)Fn(ref s_deviceGetName, "cuDeviceGetName"))(name, length, device);

    public static int cuDeviceGetAttribute(int* value, CuDeviceAttribute attribute, int device) =>
        ((delegate* unmanaged<int*, CuDeviceAttribute, int, int>)Fn(ref s_deviceGetAttribute, "cuDeviceGetAttribute"))(value, attribute, device);

    public static int cuDeviceTotalMem_v2(nuint* bytes, int device) =>
        ((delegate* unmanaged<nuint*, int, int>)Fn(ref s_deviceTotalMem, "cuDeviceTotalMem_v2"))(bytes, device);

    public static int cuDevicePrimaryCtxRetain(nint* context, int device) =>
        ((delegate* unmanaged<nint*, int, int>)Fn(ref s_primaryCtxRetain, "cuDevicePrimaryCtxRetain"))(context, device);

    public static int cuDevicePrimaryCtxRelease_v2(int device) =>
        ((delegate* unmanaged<int, int>)Fn(ref s_primaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"))(device);

    public static int cuCtxSetCurrent(nint context) =>
        ((delegate* unmanaged<nint, int>)Fn(ref s_ctxSetCurrent, "cuCtxSetCurrent"))(context);

    public static int cuCtxGetCurrent(nint* context) =>
        ((delegate* unmanaged<nint*, int>)Fn(ref s_ctxGetCurrent, "cuCtxGetCurrent"))(context);

    public static int cuCtxSynchronize() =>
        ((delegate* unmanaged<int>)Fn(ref s_ctxSynchronize, "cuCtxSynchronize"))();

    public static int cuMemAlloc_v2(ulong* pointer, nuint bytes) =>
        ((delegate* unmanaged<ulong*, nuint, int>)Fn(ref s_memAlloc, "cuMemAlloc_v2"))(pointer, bytes);

    public static int cuMemFree_v2(ulong pointer) =>
        ((delegate* unmanaged<ulong, int>)Fn(ref s_memFree, "cuMemFree_v2"))(pointer);

    public static int cuMemGetInfo_v2(nuint* free, nuint* total) =>
        ((delegate* unmanaged<nuint*, nuint*, int>)Fn(ref s_memGetInfo, "cuMemGetInfo_v2"))(free, total);

    public static int cuMemGetAddressRange_v2(ulong* start, nuint* bytes, ulong pointer) =>
        ((delegate* unmanaged<ulong*, nuint*, ulong, int>)Fn(ref s_memGetAddressRange, "cuMemGetAddressRange_v2"))(start, bytes, pointer);

    public static int cuMemHostAlloc(void** pointer, nuint bytes, uint flags) =>
        ((delegate* unmanaged<void**, nuint, uint, int>)Fn(ref s_memHostAlloc, "cuMemHostAlloc"))(pointer, bytes, flags);

    public static int cuMemFreeHost(void* pointer) =>
        ((delegate* unmanaged<void*, int>)Fn(ref s_memFreeHost, "cuMemFreeHost"))(pointer);

    public static int cuMemHostRegister_v2(void* pointer, nuint bytes, uint flags) =>
        ((delegate* unmanaged<void*, nuint, uint, int>)Fn(ref s_memHostRegister, "cuMemHostRegister_v2"))(pointer, bytes, flags);

    public static int cuMemHostUnregister(void* pointer) =>
        ((delegate* unmanaged<void*, int>)Fn(ref s_memHostUnregister, "cuMemHostUnregister"))(pointer);

    public static int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes) =>
        ((delegate* unmanaged<ulong, void*, nuint, int>)Fn(ref s_memcpyHtoD, "cuMemcpyHtoD_v2"))(destination, source, bytes);

    public static int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes) =>
        ((delegate* unmanaged<void*, ulong, nuint, int>)Fn(ref s_memcpyDtoH, "cuMemcpyDtoH_v2"))(destination, source, bytes);

    public static int cuMemcpyDtoD_v2(ulong destination, ulong source, nuint bytes) =>
        ((delegate* unmanaged<ulong, ulong, nuint, int>)Fn(ref s_memcpyDtoD, "cuMemcpyDtoD_v2"))(destination, source, bytes);

    public static int cuMemcpyHtoDAsync_v2(ulong destination, void* source, nuint bytes, nint stream) =>
        ((delegate* unmanaged<ulong, void*, nuint, nint, int>)Fn(ref s_memcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"))(destination, source, bytes, stream);

    public static int cuMemcpyDtoHAsync_v2(void* destination, ulong source, nuint bytes, nint stream) =>
        ((delegate* unmanaged<void*, ulong, nuint, nint, int>)Fn(ref s_memcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"))(destination, source, bytes, stream);

    public static int cuMemcpyDtoDAsync_v2(ulong destination, ulong source, nuint bytes, nint stream) =>
        ((delegate* unmanaged<ulong, ulong, nuint, nint, int>)Fn(ref s_memcpyDtoDAsync, "cuMemcpyDtoDAsync_v2"))(destination, source, bytes, stream);

    public static int cuMemsetD8_v2(ulong destination, byte value, nuint count) =>
        ((delegate* unmanaged<ulong, byte, nuint, int>)Fn(ref s_memsetD8, "cuMemsetD8_v2"))(destination, value, count);

    public static int cuStreamCreate(nint* stream, uint flags) =>
        ((delegate* unmanaged<nint*, uint, int>)Fn(ref s_streamCreate, "cuStreamCreate"))(stream, flags);

    public static int cuStreamDestroy_v2(nint stream) =>
        ((delegate* unmanaged<nint, int>)Fn(ref s_streamDestroy, "cuStreamDestroy_v2"))(stream);

    public static int cuStreamSynchronize(nint stream) =>
        ((delegate* unmanaged<nint, int>)Fn(ref s_streamSynchronize, "cuStreamSynchronize"))(stream);

    public static int cuStreamWaitEvent(nint stream, nint @event, uint flags) =>
        ((delegate* unmanaged<nint, nint, uint, int>)Fn(ref s_streamWaitEvent, "cuStreamWaitEvent"))(stream, @event, flags);

    public static int cuEventCreate(nint* @event, uint flags) =>
        ((delegate* unmanaged<nint*, uint, int>)Fn(ref s_eventCreate, "cuEventCreate"))(@event, flags);

    public static int cuEventDestroy_v2(nint @event) =>
        ((delegate* unmanaged<nint, int>)Fn(ref s_eventDestroy, "cuEventDestroy_v2"))(@event);

    public static int cuEventRecord(nint @event, nint stream) =>
        ((delegate* unmanaged<nint, nint, int>)Fn(ref s_eventRecord, "cuEventRecord"))(@event, stream);

    public static int cuEventQuery(nint @event) =>
        ((delegate* unmanaged<nint, int>)Fn(ref s_eventQuery, "cuEventQuery"))(@event);

    public static int cuEventSynchronize(nint @event) =>
        ((delegate* unmanaged<nint, int>)Fn(ref s_eventSynchronize, "cuEventSynchronize"))(@event);

    public static int cuEventElapsedTime(float* milliseconds, nint start, nint end) =>
        ((delegate* unmanaged<float*, nint, nint, int>)Fn(ref s_eventElapsedTime, "cuEventElapsedTime"))(milliseconds, start, end);

    public static int cuModuleLoadData(nint* module, void* image) =>
        ((delegate* unmanaged<nint*, void*, int>)Fn(ref s_moduleLoadData, "cuModuleLoadData"))(module, image);

    public static int cuModuleUnload(nint module) =>
        ((delegate* unmanaged<nint, int>)Fn(ref s_moduleUnload, "cuModuleUnload"))(module);

    public static int cuModuleGetFunction(nint* function, nint module, byte* name) =>
        ((delegate* unmanaged<nint*, nint, byte*, int>)Fn(ref s_moduleGetFunction, "cuModuleGetFunction"))(function, module, name);

    public static int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** parameters, void** extra) =>
        ((delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)Fn(ref s_launchKernel, "cuLaunchKernel"))(
            function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, stream, parameters, extra);

    public static int cuIpcGetMemHandle(CuIpcMemHandle* handle, ulong pointer) =>
        ((delegate* unmanaged<CuIpcMemHandle*, ulong, int>)Fn(ref s_ipcGetMemHandle, "cuIpcGetMemHandle"))(handle, pointer);

    /// <remarks>The handle travels by value, as the C prototype says (64 bytes: on the stack under the SysV ABI).</remarks>
    public static int cuIpcOpenMemHandle_v2(ulong* pointer, CuIpcMemHandle handle, uint flags) =>
        ((delegate* unmanaged<ulong*, CuIpcMemHandle, uint, int>)Fn(ref s_ipcOpenMemHandle, "cuIpcOpenMemHandle_v2"))(pointer, handle, flags);

    public static int cuIpcCloseMemHandle(ulong pointer) =>
        ((delegate* unmanaged<ulong, int>)Fn(ref s_ipcCloseMemHandle, "cuIpcCloseMemHandle"))(pointer);

    public static int cuGetErrorName(int result, byte** name) =>
        ((delegate* unmanaged<int, byte**, int>)Fn(ref s_getErrorName, "cuGetErrorName"))(result, name);
}
