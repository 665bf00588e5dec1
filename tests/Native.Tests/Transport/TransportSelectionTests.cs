using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.Rdma;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>The transport decision: fastest path both ends support, with a reason that names what was missing.</summary>
public sealed class TransportSelectionTests
{
    private const string NoLibrary = "libibverbs.so.1 could not be loaded (install rdma-core's libibverbs1, and ibverbs-providers for the NIC's driver)";

    private static readonly TransportEndpoint Silo1 = new() { Host = "h1", Process = "silo1" };

    [Fact]
    public void The_same_process_copies_in_memory_whatever_else_it_has()
    {
        var choice = TransportSelection.Choose(Silo1, Silo1 with { Host = "H1", RdmaUnavailable = NoLibrary });

        Assert.Equal(TransportKind.SameProcess, choice.Kind);
        Assert.Equal("peer silo1 is this process: copying in memory", choice.Reason);
    }

    [Fact]
    public void Another_process_on_the_host_uses_shared_memory()
    {
        var choice = TransportSelection.Choose(Silo1, Silo1 with { Process = "silo2" });

        Assert.Equal(TransportKind.SharedMemory, choice.Kind);
        Assert.Equal("peer silo2 is another process on host h1: using shared memory", choice.Reason);
    }

    [Fact]
    public void Another_process_without_shared_memory_falls_to_RDMA_then_TCP_saying_which_end_lacks_it()
    {
        var peer = Silo1 with { Process = "silo2", SharedMemoryUnavailable = "no shared-memory directory is configured" };

        var rdma = TransportSelection.Choose(Silo1, peer);
        var tcp = TransportSelection.Choose(Silo1 with { RdmaUnavailable = NoLibrary }, peer);

        Assert.Equal(TransportKind.Rdma, rdma.Kind);
        Assert.StartsWith("shared memory unavailable on peer silo2 (host h1): no shared-memory directory is configured; ", rdma.Reason);
        Assert.Equal(TransportKind.Tcp, tcp.Kind);
        Assert.EndsWith($"RDMA unavailable on this node: {NoLibrary}; using TCP", tcp.Reason);
    }

    [Fact]
    public void Another_host_uses_RDMA_only_when_both_ends_have_an_active_port()
    {
        var peer = new TransportEndpoint { Host = "h2", Process = "silo3" };

        var both = TransportSelection.Choose(Silo1, peer);
        var localLacks = TransportSelection.Choose(Silo1 with { RdmaUnavailable = NoLibrary }, peer);
        var peerLacks = TransportSelection.Choose(Silo1, peer with { RdmaUnavailable = "no RDMA port is active: mlx5_0 port 1 is Down" });

        Assert.Equal((TransportKind.Rdma, "both ends of silo3 have an active RDMA port on hosts h1 and h2: using RDMA"), (both.Kind, both.Reason));
        Assert.Equal((TransportKind.Tcp, $"RDMA unavailable on this node: {NoLibrary}; using TCP"), (localLacks.Kind, localLacks.Reason));
        Assert.Equal((TransportKind.Tcp, "RDMA unavailable on peer silo3 (host h2): no RDMA port is active: mlx5_0 port 1 is Down; using TCP"),
            (peerLacks.Kind, peerLacks.Reason));
    }

    [Fact]
    public void A_local_endpoint_takes_its_RDMA_verdict_from_the_probe_and_checks_its_shared_memory_directory()
    {
        using var directory = new SharedMemoryDirectory();
        var unavailable = RdmaProbeResult.Unavailable(NoLibrary);
        var active = RdmaProbeResult.From([new RdmaPortInfo("mlx5_0", 1, RdmaPortState.Active, RdmaLinkLayer.InfiniBand, 3, "fe80::3", 4096)]);

        var withShm = TransportEndpoint.Local("h1", "silo1", active, directory.Path);
        var without = TransportEndpoint.Local("h1", "silo1", unavailable, null);
        var missing = TransportEndpoint.Local("h1", "silo1", unavailable, Path.Combine(directory.Path, "gone"));

        Assert.True(withShm.SharedMemory && withShm.Rdma);
        Assert.Equal(("no shared-memory directory is configured", NoLibrary), (without.SharedMemoryUnavailable, without.RdmaUnavailable));
        Assert.Contains("does not exist", missing.SharedMemoryUnavailable);
        Assert.Equal(RdmaDevices.Probe().Available, TransportEndpoint.ProbeLocal("silo1", null).Rdma);
    }
}
