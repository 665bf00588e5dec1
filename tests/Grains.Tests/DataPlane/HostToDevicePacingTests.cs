using System.Diagnostics;
using BlitzScale.Grains.DataPlane;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Telemetry;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlitzScale.Grains.Tests.DataPlane;

/// <summary>A copy from the host's memory into a GPU is paced to the emulated PCIe rate; a copy between two GPUs of the host is not.</summary>
public sealed class HostToDevicePacingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    // Three chunks of 1 MiB each: the pacing sleeps after each.
    private static ImageLayout Layout() => SingleBlobImage.Layout(3 << 20);

    private static ParameterImage Loaded(ImageLayout layout)
    {
        var image = ParameterImage.Allocate(layout);
        var random = new Random(5);
        for (int b = 0; b < layout.Blobs.Count; b++)
        {
            random.NextBytes(image.BlobBytes(b));
            image.MarkLoaded(b);
        }
        return image;
    }

    private static async Task<TimeSpan> Copy(double hostToDeviceMBps, string link)
    {
        var layout = Layout();
        using var source = Loaded(layout);
        using var target = ParameterImage.Allocate(layout);
        await using var plane = new HostDataPlane(new GpuHostOptions { Host = "h1", ClusterSecret = "pacing-test-secret-0123456789abcd", HostToDeviceMBps = hostToDeviceMBps, ChunkMiB = 1 },
            new BlitzMetrics(), NullLogger<HostDataPlane>.Instance);
        plane.Register("copy", new ImageSource(source));
        var feed = new LoadFeed(FeedKind.SameHost, "h1/memory", "copy", "copy", 0, layout.Blobs.Count, link);
        var clock = Stopwatch.StartNew();
        await plane.FetchAsync(feed, new ImageSink(target), null, CancellationToken.None).WaitAsync(Bound);
        var elapsed = clock.Elapsed;
        for (int b = 0; b < layout.Blobs.Count; b++) Assert.Equal(source.BlobBytes(b).ToArray(), target.BlobBytes(b).ToArray());
        return elapsed;
    }

    [Fact]
    public async Task A_copy_from_host_memory_takes_at_least_its_bytes_over_the_pcie_rate()
    {
        long bytes = Layout().TotalBytes;
        // A rate that makes the copy 0.3 s: the sleeps are whole milliseconds, so the bound leaves 20 ms.
        double rate = bytes / 0.3 / 1e6;

        var elapsed = await Copy(rate, "HostToDevice");

        Assert.True(elapsed >= TimeSpan.FromSeconds(0.28), $"{bytes} bytes at {rate:0.###} MB/s in {elapsed.TotalSeconds:0.000} s");
    }

    [Fact]
    public async Task A_copy_between_two_gpus_of_the_host_is_not_paced_by_it()
    {
        long bytes = Layout().TotalBytes;
        // Paced, this copy would take 300 s.
        double rate = bytes / 300.0 / 1e6;

        var elapsed = await Copy(rate, "NvLink");

        Assert.True(elapsed < TimeSpan.FromSeconds(30), $"{bytes} bytes in {elapsed.TotalSeconds:0.000} s");
    }
}
