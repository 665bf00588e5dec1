using System.Net;
using System.Runtime.InteropServices;
using BlitzScale.Native.Transport.Rdma;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// <see cref="RdmaDevices.Probe"/> on whatever machine runs the tests: its answer must match what the machine has
/// (checked here independently: the library, the kernel's verbs directory, the devices), and say so precisely.
/// </summary>
public sealed class RdmaProbeTests
{
    [Fact]
    public void Probe_gives_the_reason_this_machine_has_or_lacks_RDMA()
    {
        var probe = RdmaDevices.Probe();

        Assert.False(string.IsNullOrWhiteSpace(probe.Reason));
        if (!OperatingSystem.IsLinux())
        {
            Assert.False(probe.Available);
            Assert.Contains("need Linux", probe.Reason);
        }
        else if (!NativeLibrary.TryLoad("libibverbs.so.1", out _))
        {
            Assert.False(probe.Available);
            Assert.StartsWith("libibverbs.so.1 could not be loaded", probe.Reason);
        }
        else if (!Directory.Exists("/sys/class/infiniband_verbs"))
        {
            Assert.False(probe.Available);
            Assert.Contains("/sys/class/infiniband_verbs is missing", probe.Reason);
        }
        else if (!Directory.Exists("/sys/class/infiniband") || !Directory.EnumerateFileSystemEntries("/sys/class/infiniband").Any())
        {
            Assert.False(probe.Available);
            Assert.Contains("no RDMA device", probe.Reason);
        }
        else if (probe.Available)
        {
            Assert.Contains(probe.Ports, p => p.IsActive);
            Assert.StartsWith("RDMA available on", probe.Reason);
        }
        else
        {
            Assert.Contains("is", probe.Reason);
            Assert.DoesNotContain(probe.Ports, p => p.IsActive);
        }
    }

    [Fact]
    public void Opening_a_transport_or_server_where_RDMA_is_unavailable_fails_with_the_probes_reason()
    {
        var probe = RdmaDevices.Probe();
        if (probe.Available)
        {
            // A machine with RDMA: both open, and say which device they use.
            using var transport = new RdmaBlobTransport(Secret);
            Assert.Contains("port 1", transport.Device);
            return;
        }

        var client = Assert.Throws<RdmaUnavailableException>(() => new RdmaBlobTransport(Secret));
        var server = Assert.Throws<RdmaUnavailableException>(() => RdmaBlobServer.Start(new IPEndPoint(IPAddress.Loopback, 0), Secret));

        Assert.Equal(probe.Reason, client.Reason);
        Assert.Equal($"RDMA unavailable: {probe.Reason}", server.Message);
    }

    [Fact]
    public void The_verdict_on_found_ports_names_each_inactive_one_and_choosing_a_missing_device_says_what_exists()
    {
        var down = new RdmaPortInfo("mlx5_0", 1, RdmaPortState.Down, RdmaLinkLayer.InfiniBand, 0, "fe80::1", 4096);
        var init = down with { Device = "mlx5_1", State = RdmaPortState.Init };
        var active = down with { Device = "mlx5_2", State = RdmaPortState.Active, Lid = 4 };

        var none = RdmaProbeResult.From([down, init]);
        var some = RdmaProbeResult.From([down, active]);

        Assert.False(none.Available);
        Assert.Equal("no RDMA port is active: mlx5_0 port 1 is Down, mlx5_1 port 1 is Init", none.Reason);
        Assert.Equal("mlx5_0 port 1 is Down", Assert.Throws<RdmaUnavailableException>(() => none.Choose("mlx5_0")).Reason);
        Assert.True(some.Available);
        Assert.Equal(active, some.Choose());
        Assert.Contains("mlx5_2 port 1 (InfiniBand, Active, LID 4", some.Reason);
        var missing = Assert.Throws<RdmaUnavailableException>(() => some.Choose("mlx5_9"));
        Assert.Equal("RDMA device mlx5_9 port 1 was not found (found: mlx5_0 port 1, mlx5_2 port 1)", missing.Reason);
        Assert.Equal("libibverbs found no RDMA device", RdmaProbeResult.From([]).Reason);
    }
}
