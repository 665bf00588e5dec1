using BlitzScale.Cli.Benchmarks;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>The PNG of <c>bench live --plot</c>.</summary>
public sealed class LivePlotTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void The_plot_is_a_png_of_the_configured_size()
    {
        var report = new LiveReport { BurstRps = 60, BurstSeconds = 4, NewInstances = 2 };
        foreach (string policy in new[] { "blitz", "sllm" })
        {
            var run = new LivePolicyRun { Policy = policy, ModelName = $"live-{policy}", BurstStartS = 3 };
            run.Log = [.. Enumerable.Range(0, 50).Select(i => new LiveRequest(i, i < 10 ? LivePhase.Steady : LivePhase.Burst, i * 0.1, i * 0.1,
                i * 0.1 + 0.05 * i, i * 0.1 + 2, "m/0/0", 32, null))];
            report.Policies[policy] = run;
        }
        string path = _dir.File("live.png");

        LivePlot.Write(path, report);

        byte[] png = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        // IHDR: width and height, big-endian, at bytes 16..23.
        Assert.Equal(LivePlot.Width, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
        Assert.Equal(LivePlot.Height, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
    }

    public void Dispose() => _dir.Dispose();
}
