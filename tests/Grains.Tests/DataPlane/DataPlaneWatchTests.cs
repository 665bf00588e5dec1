using BlitzScale.Grains.DataPlane;
using BlitzScale.Grains.Telemetry;
using BlitzScale.Grains.Tests.Telemetry;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.SharedMemory;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Grains.Tests.DataPlane;

/// <summary>
/// The silo's watch on a data-plane server other than TCP (here shared memory; RDMA's side channel and CUDA IPC are
/// the same <see cref="DataPlaneServer"/>): a peer without the secret is refused, logged naming the socket it came
/// through, counted on the same metric as TCP's refusals, and the server keeps serving.
/// </summary>
public sealed class DataPlaneWatchTests : IDisposable
{
    private static readonly byte[] Secret = "watch-test-secret-0123456789abcd"u8.ToArray();
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("blitz-watch-");

    [Fact]
    public async Task A_shared_memory_peer_without_the_secret_is_refused_logged_and_counted_like_a_TCP_one_and_serving_goes_on()
    {
        using var metrics = new BlitzMetrics();
        using var measurements = new MeasurementLog(metrics.Meter);
        var log = new LogLines<HostDataPlane>();
        await using var server = SharedMemoryBlobServer.Start(_directory.FullName, "gpu0", Secret);
        DataPlaneWatch.Observe(server, "h1", metrics, log);
        var layout = SingleBlobImage.Layout(64 << 10);
        using var source = ParameterImage.Allocate(layout);
        new Random(5).NextBytes(source.BlobBytes(0));
        source.MarkLoaded(0);
        server.Register("m", new ImageSink(source));
        byte[] wrong = [.. Secret];
        wrong[0] ^= 1;
        using var target = ParameterImage.Allocate(layout);

        await Assert.ThrowsAsync<PeerRefusedException>(() =>
            new SharedMemoryBlobTransport(wrong).TransferAsync(server.Address, new TransferRequest("m", 0, 1), new ImageSink(target)).WaitAsync(Bound));
        await new SharedMemoryBlobTransport(Secret).TransferAsync(server.Address, new TransferRequest("m", 0, 1), new ImageSink(target)).WaitAsync(Bound);

        string line = Assert.Single(log.At(LogLevel.Warning));
        Assert.Equal($"Data plane of host h1 refused a local process on {server.Address}: its answer to the challenge does not prove the cluster secret", line);
        Assert.Equal([1.0], measurements.Values("blitzscale_data_plane_rejected_total", ("host", "h1"), ("reason", "refused")));
        Assert.Equal(source.BlobBytes(0).ToArray(), target.BlobBytes(0).ToArray());
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
