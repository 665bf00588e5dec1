using System.Diagnostics;
using System.IO.Hashing;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.SharedMemory;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// <c>blitz bench chunk-mac</c>: what authenticating every data-plane chunk (AES-256-GMAC under the session key) costs.
/// One image is sent over loopback TCP by two blob servers in this process, one that sends chunk MACs and one that
/// does not, to clients that check them or not; then the same through two shared-memory servers (Unix socket and
/// staging ring in /dev/shm, the path between two processes of a host); rounds alternate so all see the same machine
/// state. Also one core's HMAC-SHA256, AES-GMAC and XxHash3 rates, which bound what a shaped link would lose.
/// </summary>
internal static class ChunkMacBenchmark
{
    private const string Model = "chunk-mac-bench";

    public static async Task<ChunkMacReport> Run(int mib, int chunkMib, int rounds, Action<string> progress, CancellationToken cancellation)
    {
        if (mib < 1) throw new ArgumentException("--mib must be ≥ 1");
        if (rounds < 1) throw new ArgumentException("--rounds must be ≥ 1");
        var request = new TransferRequest(Model, 0, 1, chunkMib << 20);
        long bytes = (long)mib << 20;
        var layout = SingleBlobImage.Layout(bytes);
        using var source = ParameterImage.Allocate(layout);
        new Random(1).NextBytes(source.BlobBytes(0));
        source.MarkLoaded(0);
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        await using var plainServer = BlobServer.Start(loopback, secret, new BlobServerOptions { AuthenticateChunks = false });
        await using var macServer = BlobServer.Start(loopback, secret);
        plainServer.Register(Model, new ImageSink(source));
        macServer.Register(Model, new ImageSink(source));
        var plainClient = new TcpBlobTransport(secret, new TcpTransportOptions { RequireChunkAuthentication = false });
        var macClient = new TcpBlobTransport(secret);
        // In memory where the host has /dev/shm, as the grid would put them: the rings must never touch a disk.
        string under = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var rings = Directory.CreateDirectory(Path.Combine(under, $"blitz-chunk-mac-{Guid.NewGuid():N}"));
        try
        {
            await using var shmPlainServer = SharedMemoryBlobServer.Start(rings.FullName, "plain", secret, new SharedMemoryServerOptions { AuthenticateChunks = false });
            await using var shmMacServer = SharedMemoryBlobServer.Start(rings.FullName, "mac", secret);
            shmPlainServer.Register(Model, new ImageSink(source));
            shmMacServer.Register(Model, new ImageSink(source));
            var shmPlainClient = new SharedMemoryBlobTransport(secret, new SharedMemoryTransportOptions { RequireChunkAuthentication = false });
            var shmMacClient = new SharedMemoryBlobTransport(secret);

            var plain = new List<double>();
            var mac = new List<double>();
            var shmPlain = new List<double>();
            var shmMac = new List<double>();
            // Round 0 warms every path up (JIT, socket buffers, page faults of the targets) and is not counted.
            for (int round = 0; round <= rounds; round++)
            {
                double p = await RateAsync(plainClient, plainServer.Address, request, layout, cancellation);
                double m = await RateAsync(macClient, macServer.Address, request, layout, cancellation);
                double sp = await RateAsync(shmPlainClient, shmPlainServer.Address, request, layout, cancellation);
                double sm = await RateAsync(shmMacClient, shmMacServer.Address, request, layout, cancellation);
                if (round == 0) continue;
                plain.Add(p);
                mac.Add(m);
                shmPlain.Add(sp);
                shmMac.Add(sm);
                progress($"round {round}/{rounds}: TCP without MAC {p:0} MB/s, with MAC {m:0} MB/s; shared memory without MAC {sp:0} MB/s, with MAC {sm:0} MB/s");
            }
            return Report(secret, bytes, request.ChunkBytes, rounds, plain, mac, shmPlain, shmMac);
        }
        finally
        {
            rings.Delete(recursive: true);
        }
    }

    private static ChunkMacReport Report(byte[] secret, long bytes, int chunkBytes, int rounds,
        List<double> plain, List<double> mac, List<double> shmPlain, List<double> shmMac)
    {
        double plainBest = plain.Max(), macBest = mac.Max();
        return new ChunkMacReport(
            Bytes: bytes, ChunkBytes: chunkBytes, Rounds: rounds, Cores: Environment.ProcessorCount,
            PlainMBps: Math.Round(plainBest, 1), MacMBps: Math.Round(macBest, 1),
            MacThroughputRatio: Math.Round(macBest / plainBest, 3),
            PlainMedianMBps: Math.Round(Median(plain), 1), MacMedianMBps: Math.Round(Median(mac), 1),
            HmacSha256MBpsOneCore: Math.Round(HashRate(buffer => HMACSHA256.HashData(secret, buffer)), 1),
            AesGmacMBpsOneCore: Math.Round(GmacRate(secret), 1),
            XxHash3MBpsOneCore: Math.Round(HashRate(buffer => XxHash3.HashToUInt64(buffer)), 1),
            PlainRoundsMBps: [.. plain.Select(r => Math.Round(r, 1))], MacRoundsMBps: [.. mac.Select(r => Math.Round(r, 1))],
            SharedMemoryPlainMBps: Math.Round(shmPlain.Max(), 1), SharedMemoryMacMBps: Math.Round(shmMac.Max(), 1),
            SharedMemoryMacThroughputRatio: Math.Round(shmMac.Max() / shmPlain.Max(), 3),
            SharedMemoryPlainMedianMBps: Math.Round(Median(shmPlain), 1), SharedMemoryMacMedianMBps: Math.Round(Median(shmMac), 1),
            SharedMemoryPlainRoundsMBps: [.. shmPlain.Select(r => Math.Round(r, 1))], SharedMemoryMacRoundsMBps: [.. shmMac.Select(r => Math.Round(r, 1))]);
    }

    private static async Task<double> RateAsync(IBlobTransport client, string peer, TransferRequest request, ImageLayout layout, CancellationToken cancellation)
    {
        using var target = ParameterImage.Allocate(layout);
        var result = await client.TransferAsync(peer, request, new ImageSink(target), cancellationToken: cancellation);
        return result.Bytes / 1e6 / result.Elapsed.TotalSeconds;
    }

    /// <summary>MB/s (10^6 bytes) of <paramref name="hash"/> over a 4 MiB buffer on this thread, best of 5 passes of ~0.2 s.</summary>
    private static double HashRate(Action<byte[]> hash)
    {
        var buffer = new byte[4 << 20];
        new Random(2).NextBytes(buffer);
        double best = 0;
        for (int pass = 0; pass < 5; pass++)
        {
            var clock = Stopwatch.StartNew();
            long hashed = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(0.2))
            {
                hash(buffer);
                hashed += buffer.Length;
            }
            best = Math.Max(best, hashed / 1e6 / clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>AES-GCM with the chunk as associated data: the GMAC the data plane signs chunks with (<see cref="ChunkMac"/>).</summary>
    private static double GmacRate(byte[] secret)
    {
        using var gcm = new AesGcm(secret.AsSpan(0, 32), AesGcm.TagByteSizes.MaxSize);
        var nonce = new byte[AesGcm.NonceByteSizes.MaxSize];
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        var header = new byte[WireFormat.HeaderBytes];
        var discarded = new byte[WireFormat.HeaderBytes];
        return HashRate(buffer => gcm.Encrypt(nonce, header, discarded, tag, buffer));
    }

    private static double Median(List<double> values) =>
        Percentiles.Median(values) ?? throw new InvalidOperationException("no rate was measured");
}

/// <summary>The chunk-MAC benchmark's figures (MB = 10^6 bytes); best of the rounds unless named median.</summary>
internal sealed record ChunkMacReport(
    long Bytes, int ChunkBytes, int Rounds, int Cores,
    [property: JsonPropertyName("plain_MBps")] double PlainMBps,
    [property: JsonPropertyName("mac_MBps")] double MacMBps,
    double MacThroughputRatio,
    [property: JsonPropertyName("plain_median_MBps")] double PlainMedianMBps,
    [property: JsonPropertyName("mac_median_MBps")] double MacMedianMBps,
    [property: JsonPropertyName("hmac_sha256_MBps_one_core")] double HmacSha256MBpsOneCore,
    [property: JsonPropertyName("aes_gmac_MBps_one_core")] double AesGmacMBpsOneCore,
    [property: JsonPropertyName("xxhash3_MBps_one_core")] double XxHash3MBpsOneCore,
    [property: JsonPropertyName("plain_rounds_MBps")] IReadOnlyList<double> PlainRoundsMBps,
    [property: JsonPropertyName("mac_rounds_MBps")] IReadOnlyList<double> MacRoundsMBps,
    [property: JsonPropertyName("shm_plain_MBps")] double SharedMemoryPlainMBps,
    [property: JsonPropertyName("shm_mac_MBps")] double SharedMemoryMacMBps,
    [property: JsonPropertyName("shm_mac_throughput_ratio")] double SharedMemoryMacThroughputRatio,
    [property: JsonPropertyName("shm_plain_median_MBps")] double SharedMemoryPlainMedianMBps,
    [property: JsonPropertyName("shm_mac_median_MBps")] double SharedMemoryMacMedianMBps,
    [property: JsonPropertyName("shm_plain_rounds_MBps")] IReadOnlyList<double> SharedMemoryPlainRoundsMBps,
    [property: JsonPropertyName("shm_mac_rounds_MBps")] IReadOnlyList<double> SharedMemoryMacRoundsMBps);
