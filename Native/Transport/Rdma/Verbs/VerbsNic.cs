namespace BlitzScale.Native.Transport.Rdma.Verbs;

/// <summary>An opened libibverbs device port with one protection domain, under which every region and queue pair of this node lives.</summary>
internal sealed unsafe class VerbsNic : IRdmaNic
{
    private nint _context;
    private nint _pd;

    private VerbsNic(nint context, nint pd, string name, RdmaPortAddress address)
    {
        _context = context;
        _pd = pd;
        Name = name;
        Address = address;
    }

    public string Name { get; }
    public RdmaPortAddress Address { get; }
    internal nint Context => _context != 0 ? _context : throw new ObjectDisposedException(Name);
    internal nint ProtectionDomain => _pd != 0 ? _pd : throw new ObjectDisposedException(Name);

    /// <summary>Opens <paramref name="device"/> (the first device with an active port when null) and allocates its protection domain.</summary>
    /// <exception cref="RdmaUnavailableException">RDMA cannot be used here, or that port is not active; the message says why.</exception>
    /// <exception cref="RdmaException">A verbs call failed.</exception>
    public static VerbsNic Open(string? device, int port, int gidIndex)
    {
        var chosen = RdmaDevices.Probe(port, gidIndex).Choose(device, port);
        using var devices = VerbsDeviceList.Get(out string? unavailable) ?? throw new RdmaUnavailableException(unavailable!);
        for (int d = 0; d < devices.Count; d++)
        {
            if (devices.Name(d) != chosen.Device) continue;
            nint context = VerbsError.NotNull(IbvNative.ibv_open_device(devices[d]), $"ibv_open_device({chosen.Device})");
            try
            {
                nint pd = VerbsError.NotNull(IbvNative.ibv_alloc_pd(context), $"ibv_alloc_pd({chosen.Device})");
                return new VerbsNic(context, pd, $"{chosen.Device} port {port}", Query(context, (byte)port, gidIndex));
            }
            catch
            {
                IbvNative.ibv_close_device(context);
                throw;
            }
        }
        throw new RdmaUnavailableException($"RDMA device {chosen.Device} disappeared between probing and opening it");
    }

    private static RdmaPortAddress Query(nint context, byte port, int gidIndex)
    {
        IbvPortAttr attributes = default;
        VerbsError.Check(IbvNative.ibv_query_port(context, port, &attributes), "ibv_query_port");
        IbvGid gid = default;
        VerbsError.Check(IbvNative.ibv_query_gid(context, port, gidIndex, &gid), $"ibv_query_gid(index {gidIndex})");
        return new RdmaPortAddress(port, gidIndex, attributes.Lid, gid.Value, attributes.ActiveMtu, (RdmaLinkLayer)attributes.LinkLayer);
    }

    public IRdmaRegion Register(nint address, long length, bool remoteWrite) =>
        VerbsMemoryRegion.Register(this, address, length, remoteWrite ? IbvAccess.LocalWrite | IbvAccess.RemoteWrite : IbvAccess.None);

    public IRdmaQueuePair CreateQueuePair(int sendDepth, int receiveDepth) => VerbsQueuePair.Create(this, sendDepth, receiveDepth);

    /// <summary>Every region and queue pair must have been disposed first (verbs refuse to free a busy domain).</summary>
    public void Dispose()
    {
        if (_context == 0) return;
        IbvNative.ibv_dealloc_pd(_pd);
        IbvNative.ibv_close_device(_context);
        _pd = 0;
        _context = 0;
    }
}
