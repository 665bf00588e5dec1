namespace BlitzScale.Native.Transport.Rdma.Verbs;

/// <summary>
/// Image memory registered with the NIC (<c>ibv_reg_mr</c>): pinned, translated once, and then read or written by the
/// NIC directly, with no copy through any other buffer.
/// </summary>
internal sealed unsafe class VerbsMemoryRegion : IRdmaRegion
{
    private IbvMr* _mr;

    private VerbsMemoryRegion(IbvMr* mr, nint address, long length)
    {
        _mr = mr;
        Address = address;
        Length = length;
        LocalKey = mr->LocalKey;
        RemoteKey = mr->RemoteKey;
    }

    public nint Address { get; }
    public long Length { get; }
    public uint LocalKey { get; }
    public uint RemoteKey { get; }

    public static VerbsMemoryRegion Register(VerbsNic nic, nint address, long length, IbvAccess access)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        var mr = IbvNative.ibv_reg_mr(nic.ProtectionDomain, (void*)address, (nuint)length, access);
        if (mr == null) throw VerbsError.Failed($"ibv_reg_mr({length} bytes at 0x{address:x}, {access})", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        return new VerbsMemoryRegion(mr, address, length);
    }

    public void Dispose()
    {
        if (_mr == null) return;
        IbvNative.ibv_dereg_mr(_mr);
        _mr = null;
    }
}
