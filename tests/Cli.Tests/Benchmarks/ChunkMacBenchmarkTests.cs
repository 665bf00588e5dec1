using System.Text.Json;
using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Commands;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>The chunk-MAC benchmark on a small image: every path (TCP and shared memory, with and without MACs) transfers it, and the report's figures agree with each other.</summary>
public sealed class ChunkMacBenchmarkTests
{
    [Fact]
    public async Task A_small_run_reports_both_rates_their_ratio_and_the_one_core_rates_in_its_JSON_names()
    {
        var steps = new List<string>();
        var report = await ChunkMacBenchmark.Run(mib: 4, chunkMib: 1, rounds: 2, steps.Add, CancellationToken.None);

        Assert.Equal((4L << 20, 1 << 20, 2), (report.Bytes, report.ChunkBytes, report.Rounds));
        Assert.Equal(2, report.PlainRoundsMBps.Count);
        Assert.Equal(2, report.MacRoundsMBps.Count);
        Assert.Equal(report.PlainRoundsMBps.Max(), report.PlainMBps);
        Assert.Equal(report.MacRoundsMBps.Max(), report.MacMBps);
        Assert.Equal(Math.Round(report.MacMBps / report.PlainMBps, 3), report.MacThroughputRatio, 0.002);
        Assert.Equal(2, report.SharedMemoryPlainRoundsMBps.Count);
        Assert.Equal(2, report.SharedMemoryMacRoundsMBps.Count);
        Assert.Equal(report.SharedMemoryMacRoundsMBps.Max(), report.SharedMemoryMacMBps);
        Assert.Equal(Math.Round(report.SharedMemoryMacMBps / report.SharedMemoryPlainMBps, 3), report.SharedMemoryMacThroughputRatio, 0.002);
        Assert.All(new[] { report.HmacSha256MBpsOneCore, report.AesGmacMBpsOneCore, report.XxHash3MBpsOneCore }, rate => Assert.True(rate > 0));
        Assert.Equal(2, steps.Count);

        string json = JsonSerializer.Serialize(report, CliJson.Indented);
        foreach (string name in new[] { "\"plain_MBps\"", "\"mac_MBps\"", "\"mac_throughput_ratio\"", "\"shm_mac_throughput_ratio\"", "\"aes_gmac_MBps_one_core\"", "\"hmac_sha256_MBps_one_core\"" })
            Assert.Contains(name, json, StringComparison.Ordinal);
    }
}
