using System.Text.Json;

namespace BlitzScale.Testbed.Tests;

/// <summary><c>blitz bench link</c> on loopback: the receiver confirms every byte, both sides report the same count.</summary>
public sealed class LinkBenchTests
{
    [Fact]
    public async Task TheSenderReportsTheBytesTheListenerCounted()
    {
        string endpoint = $"127.0.0.1:{Silo.FreePorts.Next()}";
        using var listener = Commands.Start([.. Commands.Blitz, "bench", "link", "--listen", endpoint]);
        string? line;
        while ((line = await listener.StandardError.ReadLineAsync()) is not null && !line.Contains("listening on", StringComparison.Ordinal)) { }
        Assert.NotNull(line);

        var sent = await Commands.Run([.. Commands.Blitz, "bench", "link", "--connect", endpoint, "--bytes", "30000000"]);
        Assert.True(sent.ExitCode == 0, sent.Output);
        string received = await listener.StandardOutput.ReadToEndAsync();
        await listener.WaitForExitAsync();
        Assert.Equal(0, listener.ExitCode);

        var send = JsonDocument.Parse(sent.Stdout).RootElement;
        var receive = JsonDocument.Parse(received).RootElement;
        Assert.Equal("send", send.GetProperty("side").GetString());
        Assert.Equal("receive", receive.GetProperty("side").GetString());
        Assert.Equal(30_000_000, send.GetProperty("bytes").GetInt64());
        Assert.Equal(30_000_000, receive.GetProperty("bytes").GetInt64());
        Assert.True(send.GetProperty("MBps").GetDouble() > 0);
        Assert.True(send.GetProperty("socket_buffer_bytes").GetInt32() > 0);
    }

    [Theory]
    [InlineData(new[] { "bench", "link" }, "give exactly one of --listen IP:PORT and --connect IP:PORT")]
    [InlineData(new[] { "bench", "link", "--connect", "127.0.0.1:9" }, "give exactly one of --bytes and --seconds")]
    [InlineData(new[] { "bench", "link", "--listen", "nowhere" }, "--listen nowhere: expected IP:PORT")]
    [InlineData(new[] { "bench", "multicast", "--hosts", "1", "--model", "." }, "--hosts must be ≥ 2")]
    public async Task MistakesAreOneLineErrors(string[] args, string message)
    {
        var result = await Commands.Run([.. Commands.Blitz, .. args]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
    }
}
