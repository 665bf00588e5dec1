using System.Runtime.InteropServices;

namespace BlitzScale.Native.Transport.Rdma.Verbs;

/// <summary>The devices <c>ibv_get_device_list</c> returns, freed on dispose (opened contexts stay valid after that).</summary>
internal sealed unsafe class VerbsDeviceList : IDisposable
{
    // errno when libibverbs finds no kernel support: /sys/class/infiniband_verbs (ib_uverbs) is missing.
    private const int ENOSYS = 38;
    private const string VerbsSysfs = "/sys/class/infiniband_verbs";

    private nint* _list;

    private VerbsDeviceList(nint* list, int count)
    {
        _list = list;
        Count = count;
    }

    public int Count { get; }

    /// <summary>The list, or why there is none (the kernel has no verbs support, or the call failed).</summary>
    public static VerbsDeviceList? Get(out string? unavailable)
    {
        int count = 0;
        nint* list = IbvNative.ibv_get_device_list(&count);
        if (list == null)
        {
            int errno = Marshal.GetLastPInvokeError();
            unavailable = errno == ENOSYS || !Directory.Exists(VerbsSysfs)
                ? $"the kernel offers no RDMA verbs: {VerbsSysfs} is missing (no RDMA NIC, or its driver and ib_uverbs are not loaded)"
                : $"ibv_get_device_list failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
            return null;
        }
        unavailable = null;
        return new VerbsDeviceList(list, count);
    }

    public nint this[int index] => (uint)index < (uint)Count ? _list[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public string Name(int index) => Marshal.PtrToStringUTF8((nint)IbvNative.ibv_get_device_name(this[index])) ?? $"device {index}";

    public void Dispose()
    {
        if (_list == null) return;
        IbvNative.ibv_free_device_list(_list);
        _list = null;
    }
}
