using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// <c>blitz bench link</c>: a plain TCP blast over one link, the raw rate the data plane's transfers are compared with
/// (<c>raw_link_MBps</c>). The sender writes one pinned buffer over and over; the receiver counts, and when the sender
/// shuts its side down, answers with the byte count it received and closes. The sender's clock runs from connect to that
/// answer, so every byte has landed when it stops.
/// </summary>
internal static class LinkProbe
{
    /// <summary>Socket buffers both sides ask for (the kernel caps them at net.core.[rw]mem_max).</summary>
    public const int SocketBufferBytes = 4 << 20;
    /// <summary>The buffer the sender writes from and the receiver reads into.</summary>
    public const int IoBufferBytes = 1 << 20;
    /// <summary>What the listener prints to stderr once it accepts connections.</summary>
    public const string ListeningLine = "bench link: listening on";

    /// <summary>Accepts one connection (or <paramref name="connections"/>), counts what arrives, reports each.</summary>
    public static async Task Listen(IPEndPoint endpoint, int connections, Action<LinkReport> report, Action<string> progress, CancellationToken cancellation)
    {
        using var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.ReceiveBufferSize = SocketBufferBytes;   // inherited by accepted sockets, before the window is agreed
        listener.Bind(endpoint);
        listener.Listen(4);
        progress($"{ListeningLine} {endpoint}");
        byte[] buffer = GC.AllocateUninitializedArray<byte>(IoBufferBytes, pinned: true);
        byte[] count = new byte[sizeof(long)];
        for (int i = 0; i < connections; i++)
        {
            using var socket = await listener.AcceptAsync(cancellation);
            socket.ReceiveBufferSize = SocketBufferBytes;
            long bytes = 0;
            Stopwatch? clock = null;
            int n;
            while ((n = socket.Receive(buffer)) > 0)
            {
                clock ??= Stopwatch.StartNew();
                bytes += n;
            }
            double seconds = clock?.Elapsed.TotalSeconds ?? 0;
            BinaryPrimitives.WriteInt64LittleEndian(count, bytes);
            socket.Send(count);
            socket.Shutdown(SocketShutdown.Both);
            report(LinkReport.Of("receive", socket.RemoteEndPoint?.ToString() ?? "?", endpoint.ToString(), bytes, seconds, socket));
        }
    }

    /// <summary>Sends <paramref name="bytes"/> bytes, or for <paramref name="seconds"/>, and reports the rate the receiver saw them land at.</summary>
    public static LinkReport Send(IPEndPoint endpoint, long? bytes, double? seconds, CancellationToken cancellation)
    {
        if (bytes is null == seconds is null) throw new ArgumentException("give exactly one of --bytes and --seconds");
        if (bytes <= 0 || seconds <= 0) throw new ArgumentException("--bytes and --seconds must be positive");
        using var socket = Connect(endpoint, TimeSpan.FromSeconds(10), cancellation);
        byte[] buffer = GC.AllocateUninitializedArray<byte>(IoBufferBytes, pinned: true);
        Random.Shared.NextBytes(buffer);
        var clock = Stopwatch.StartNew();
        long sent = 0;
        long deadlineTicks = seconds is { } s ? (long)(s * Stopwatch.Frequency) : long.MaxValue;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            int chunk = bytes is { } total ? (int)Math.Min(buffer.Length, total - sent) : buffer.Length;
            if (chunk <= 0 || clock.ElapsedTicks >= deadlineTicks) break;
            sent += socket.Send(buffer, 0, chunk, SocketFlags.None);
        }
        socket.Shutdown(SocketShutdown.Send);
        Span<byte> count = stackalloc byte[sizeof(long)];
        int got = 0;
        while (got < count.Length)
        {
            int n = socket.Receive(count[got..]);
            if (n == 0) throw new IOException($"the receiver at {endpoint} closed without confirming the byte count");
            got += n;
        }
        double elapsed = clock.Elapsed.TotalSeconds;
        long received = BinaryPrimitives.ReadInt64LittleEndian(count);
        if (received != sent) throw new IOException($"sent {sent} bytes but the receiver at {endpoint} counted {received}");
        return LinkReport.Of("send", socket.LocalEndPoint?.ToString() ?? "?", endpoint.ToString(), sent, elapsed, socket);
    }

    private static Socket Connect(IPEndPoint endpoint, TimeSpan patience, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            {
                SendBufferSize = SocketBufferBytes,
                NoDelay = true,
            };
            try
            {
                socket.Connect(endpoint);
                return socket;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused && clock.Elapsed < patience)
            {
                socket.Dispose();
                cancellation.ThrowIfCancellationRequested();
                Thread.Sleep(100);   // the listener may still be starting
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>Parses <c>IP:PORT</c>.</summary>
    public static IPEndPoint ParseEndpoint(string text, string option) =>
        IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0
            ? endpoint
            : throw new ArgumentException($"{option} {text}: expected IP:PORT, e.g. 10.222.0.2:7200");
}

/// <summary>One side's view of one blast. MB is 10^6 bytes.</summary>
/// <param name="Side"><c>send</c> or <c>receive</c>.</param>
/// <param name="From">The sending end.</param>
/// <param name="To">The receiving end.</param>
/// <param name="Bytes">Payload bytes.</param>
/// <param name="Seconds">Sender: connect to the receiver's confirmation; receiver: first byte to end of stream.</param>
/// <param name="MBps">Payload rate.</param>
/// <param name="SocketBufferBytes">The socket buffer the kernel granted (send or receive side).</param>
internal sealed record LinkReport(string Side, string From, string To, long Bytes, double Seconds,
    [property: System.Text.Json.Serialization.JsonPropertyName("MBps")] double MBps, int SocketBufferBytes)
{
    public static LinkReport Of(string side, string from, string to, long bytes, double seconds, Socket socket) =>
        new(side, from, to, bytes, Math.Round(seconds, 4), seconds > 0 ? Math.Round(bytes / seconds / 1e6, 2) : 0,
            side == "send" ? socket.SendBufferSize : socket.ReceiveBufferSize);
}
