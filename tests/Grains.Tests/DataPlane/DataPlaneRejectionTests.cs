using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BlitzScale.Grains.DataPlane;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Telemetry;
using BlitzScale.Grains.Tests.Telemetry;
using BlitzScale.Native.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlitzScale.Grains.Tests.DataPlane;

/// <summary>A silo's data plane faced with a peer that does not hold the cluster secret: refused, logged by address, counted, and still serving.</summary>
public sealed class DataPlaneRejectionTests
{
    private const string Secret = "rejection-test-secret-0123456789";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_peer_that_cannot_prove_the_secret_is_refused_logged_with_its_address_and_counted_and_serving_goes_on()
    {
        using var metrics = new BlitzMetrics();
        using var measurements = new MeasurementLog(metrics.Meter);
        var log = new LogLines<HostDataPlane>();
        await using var plane = new HostDataPlane(new GpuHostOptions { Host = "h1", ClusterSecret = Secret }, metrics, log);
        await using var partner = new HostDataPlane(new GpuHostOptions { Host = "h2", ClusterSecret = Secret }, new BlitzMetrics(), NullLogger<HostDataPlane>.Instance);

        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await stranger.ConnectAsync(IPEndPoint.Parse(plane.Address));
        await ReceiveAsync(stranger, 40);
        await stranger.SendAsync(new byte[64], SocketFlags.None);
        var verdict = await ReceiveAsync(stranger, 4);

        Assert.Equal("BLZR", System.Text.Encoding.ASCII.GetString(verdict));
        string line = Assert.Single(log.At(LogLevel.Warning));
        Assert.Equal($"Data plane of host h1 refused {stranger.LocalEndPoint}: its answer to the challenge does not prove the cluster secret", line);
        Assert.Equal([1.0], measurements.Values("blitzscale_data_plane_rejected_total", ("host", "h1"), ("reason", "refused")));

        var states = new HiddenStates(2, 4);
        new Random(3).NextBytes(MemoryMarshal.AsBytes(states.Data.AsSpan()));
        var reference = plane.PublishActivation("after-refusal", states);
        Assert.Equal(states.ToBytes(), (await partner.FetchActivationAsync(reference, CancellationToken.None).WaitAsync(Bound)).ToBytes());
        await plane.RetireActivationAsync("after-refusal");
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket, int bytes)
    {
        var buffer = new byte[bytes];
        for (int got = 0; got < bytes;)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None).AsTask().WaitAsync(Bound);
            Assert.True(n > 0, $"the data plane closed after {got} of {bytes} bytes");
            got += n;
        }
        return buffer;
    }
}
