using System.Runtime.InteropServices;

namespace BlitzScale.Native.Cuda.Interop;

/// <summary>The CUdevice_attribute values we query (cuda.h).</summary>
internal enum CuDeviceAttribute
{
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
}

/// <summary>Flag values of the driver API we pass (cuda.h).</summary>
internal static class CuFlags
{
    /// <summary>CU_MEMHOSTALLOC_PORTABLE: the pinned memory counts as pinned for every context, not just the current one.</summary>
    public const uint MemHostAllocPortable = 0x01;
    /// <summary>CU_MEMHOSTREGISTER_PORTABLE.</summary>
    public const uint MemHostRegisterPortable = 0x01;
    /// <summary>CU_STREAM_DEFAULT: the stream synchronizes with the legacy NULL stream, so synchronous copies order with it.</summary>
    public const uint StreamDefault = 0x0;
    /// <summary>CU_EVENT_DEFAULT (timing enabled).</summary>
    public const uint EventDefault = 0x0;
    /// <summary>CU_EVENT_DISABLE_TIMING: cheaper events for pure ordering.</summary>
    public const uint EventDisableTiming = 0x2;
    /// <summary>CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS.</summary>
    public const uint IpcMemLazyEnablePeerAccess = 0x1;
}

/// <summary>CUipcMemHandle: 64 opaque bytes (CU_IPC_HANDLE_SIZE) that name a device allocation to another process.</summary>
[StructLayout(LayoutKind.Sequential, Size = Bytes)]
internal unsafe struct CuIpcMemHandle
{
    public const int Bytes = 64;
    public fixed byte Reserved[Bytes];
}
