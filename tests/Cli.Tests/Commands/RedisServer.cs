using System.Diagnostics;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>
/// The Redis the Redis-clustered test uses: the one .ci/run started (<c>BLITZSCALE_TEST_REDIS</c>), else a
/// private redis-server on a free loopback port, else none (the tests then skip, giving <see cref="MissingReason"/>).
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private Process? _process;

    public string? Endpoint { get; private set; }
    public string? MissingReason { get; private set; }

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("BLITZSCALE_TEST_REDIS") is { Length: > 0 } given)
        {
            Endpoint = given;
            return;
        }
        string? server = Environment.GetEnvironmentVariable("PATH")?.Split(':')
            .Select(dir => Path.Combine(dir, "redis-server")).FirstOrDefault(File.Exists);
        if (server is null)
        {
            MissingReason = "redis-server is not on PATH and BLITZSCALE_TEST_REDIS is not set (apt-get install -y redis-server; .ci/run does)";
            return;
        }
        int port = Silo.FreePorts.Next();
        var start = new ProcessStartInfo(server) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in new[] { "--bind", "127.0.0.1", "--port", port.ToString(), "--save", "", "--appendonly", "no" })
            start.ArgumentList.Add(arg);
        _process = Process.Start(start)!;
        // Redis prints this line once it accepts connections.
        string? line;
        while ((line = await _process.StandardOutput.ReadLineAsync()) is not null && !line.Contains("Ready to accept connections", StringComparison.Ordinal)) { }
        if (line is null) throw new InvalidOperationException("redis-server exited before it was ready");
        _ = _process.StandardOutput.ReadToEndAsync();
        Endpoint = $"127.0.0.1:{port}";
    }

    public async Task DisposeAsync()
    {
        if (_process is null) return;
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

}
