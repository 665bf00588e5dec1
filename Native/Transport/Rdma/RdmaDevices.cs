using System.Net;
using System.Runtime.InteropServices;
using BlitzScale.Native.Transport.Rdma.Verbs;

namespace BlitzScale.Native.Transport.Rdma;

/// <summary>Finds out whether this machine can do RDMA: the verbs library, kernel support, devices, active ports.</summary>
public static unsafe class RdmaDevices
{
    /// <summary>The verbs library loaded (rdma-core's libibverbs).</summary>
    public const string Library = IbvNative.Library;

    /// <summary>
    /// Lists the RDMA ports of this machine and says whether one is active, or precisely why RDMA is unavailable:
    /// not Linux, <c>libibverbs.so.1</c> not loadable, no kernel verbs support, no device, no active port. Never
    /// throws for an unavailable machine; the answer is the <see cref="RdmaProbeResult.Reason"/>.
    /// </summary>
    /// <param name="port">The port number to query on each device (from 1).</param>
    /// <param name="gidIndex">The GID table index to report (RoCE v2 often needs one other than 0).</param>
    public static RdmaProbeResult Probe(int port = 1, int gidIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, byte.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegative(gidIndex);
        if (!OperatingSystem.IsLinux())
            return RdmaProbeResult.Unavailable($"RDMA verbs need Linux (libibverbs); this is {RuntimeInformation.OSDescription}");
        if (!IsLibraryLoadable())
            return RdmaProbeResult.Unavailable($"{Library} could not be loaded (install rdma-core's libibverbs1, and ibverbs-providers for the NIC's driver)");

        try
        {
            return ProbeDevices(port, gidIndex);
        }
        catch (EntryPointNotFoundException e)
        {
            return RdmaProbeResult.Unavailable($"{Library} lacks a verb this code calls (rdma-core too old?): {e.Message}");
        }
    }

    private static RdmaProbeResult ProbeDevices(int port, int gidIndex)
    {
        using var devices = VerbsDeviceList.Get(out string? unavailable);
        if (devices is null) return RdmaProbeResult.Unavailable(unavailable!);
        if (devices.Count == 0)
            return RdmaProbeResult.Unavailable("libibverbs found no RDMA device (none in /sys/class/infiniband, or no provider library for it: install ibverbs-providers)");

        var ports = new List<RdmaPortInfo>(devices.Count);
        var problems = new List<string>();
        for (int d = 0; d < devices.Count; d++)
        {
            string name = devices.Name(d);
            nint context = IbvNative.ibv_open_device(devices[d]);
            if (context == 0)
            {
                problems.Add($"{name} could not be opened: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                continue;
            }
            try
            {
                ports.Add(QueryPort(context, name, (byte)port, gidIndex));
            }
            catch (RdmaException e)
            {
                problems.Add($"{name} port {port}: {e.Message}");
            }
            finally
            {
                IbvNative.ibv_close_device(context);
            }
        }
        var result = RdmaProbeResult.From(ports);
        return result.Available || problems.Count == 0 ? result : RdmaProbeResult.Unavailable(string.Join("; ", [result.Reason, .. problems]), ports);
    }

    /// <summary>Whether the verbs library can be loaded, the same way the P/Invoke declarations load it.</summary>
    public static bool IsLibraryLoadable() =>
        NativeLibrary.TryLoad(Library, typeof(RdmaDevices).Assembly, null, out _);

    internal static RdmaPortInfo QueryPort(nint context, string device, byte port, int gidIndex)
    {
        IbvPortAttr attributes = default;
        VerbsError.Check(IbvNative.ibv_query_port(context, port, &attributes), "ibv_query_port");
        IbvGid gid = default;
        VerbsError.Check(IbvNative.ibv_query_gid(context, port, gidIndex, &gid), $"ibv_query_gid(index {gidIndex})");
        return new RdmaPortInfo(device, port, attributes.State, (RdmaLinkLayer)attributes.LinkLayer, attributes.Lid,
            FormatGid(gid.Value), MtuBytes(attributes.ActiveMtu));
    }

    internal static string FormatGid(UInt128 gid)
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, gid);
        return new IPAddress(bytes).ToString();
    }

    internal static int MtuBytes(IbvMtu mtu) => mtu is >= IbvMtu.Mtu256 and <= IbvMtu.Mtu4096 ? 128 << (int)mtu : 0;
}
