using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using BlitzScale.Tests.Shared;
using Xunit.Abstractions;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>
/// Two silo processes clustered through Redis, each a GPU host, and client processes that deploy, generate
/// and read the status: the multi-process grid a cluster operator runs.
/// </summary>
public sealed class RedisClusterTests(RedisServer redis, CliFixture fixture, ITestOutputHelper output)
    : IClassFixture<RedisServer>, IClassFixture<CliFixture>
{
    [SkippableFact]
    public async Task TwoSiloProcessesServeAClientProcessThroughRedis()
    {
        Skip.If(redis.Endpoint is null, redis.MissingReason);
        string clusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
        string cluster = $"redis://{redis.Endpoint}";
        await using var siloA = await SiloProcess.Start(fixture.Cache, "redis-a", redis.Endpoint, clusterId);
        await using var siloB = await SiloProcess.Start(fixture.Cache, "redis-b", redis.Endpoint, clusterId);

        string model = RepositoryPaths.Stories260K ?? await SyntheticModel();
        var deploy = await BlitzProcess.Run(fixture.Cache, "deploy", "--cluster", cluster, "--cluster-id", clusterId, "--model", model, "--instances", "2");
        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        Assert.Contains("redis-a/gpu0", deploy.Stdout);
        Assert.Contains("redis-b/gpu0", deploy.Stdout);
        // deploy follows its instances until they serve (plain lines: the output is not a terminal).
        Assert.Equal(2, Regex.Matches(deploy.Stdout, @"/\d+/0: Serving: ").Count);

        var generate = await BlitzProcess.Run(fixture.Cache, "generate", "--cluster", cluster, "--cluster-id", clusterId, "--model", model,
            "--prompt", "Once upon a time", "--max-tokens", "20", "--json");
        Assert.True(generate.ExitCode == 0, generate.Stderr);
        var outputIds = JsonDocument.Parse(generate.Stdout).RootElement.GetProperty("output_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(20, outputIds.Length);
        if (RepositoryPaths.Stories260K is { } stories)
        {
            var golden = JsonDocument.Parse(File.ReadLines(Path.Combine(stories, "goldens.jsonl")).First()).RootElement;
            var ids = golden.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(ids[5..25], outputIds);
        }

        var status = await BlitzProcess.Run(fixture.Cache, "status", "--cluster", cluster, "--cluster-id", clusterId, "--json");
        Assert.True(status.ExitCode == 0, status.Stderr);
        var root = JsonDocument.Parse(status.Stdout).RootElement;
        Assert.Equal(["redis-a", "redis-b"], root.GetProperty("hosts").EnumerateArray().Select(h => h.GetProperty("host").GetProperty("host").GetString()));
        var instances = root.GetProperty("models")[0].GetProperty("instances").EnumerateArray().ToList();
        Assert.Equal(2, instances.Count);
        Assert.All(instances, i => Assert.Equal("Serving", i.GetProperty("state").ToString()));
    }

    [SkippableFact]
    public async Task ScaleFeedsAnInstanceOnAnotherHostFromAPeerGpuAndFollowsItsLayers()
    {
        Skip.If(redis.Endpoint is null, redis.MissingReason);
        string clusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
        string cluster = $"redis://{redis.Endpoint}";
        await using var siloA = await SiloProcess.Start(fixture.Cache, "scale-a", redis.Endpoint, clusterId);
        await using var siloB = await SiloProcess.Start(fixture.Cache, "scale-b", redis.Endpoint, clusterId);

        string model = await SyntheticModel();
        var deploy = await BlitzProcess.Run(fixture.Cache, "deploy", "--cluster", cluster, "--cluster-id", clusterId, "--model", model,
            "--gpus", "scale-a/gpu0");
        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        // Generating waits for the first instance to hold the model, so the scale-up below has a GPU source.
        var generate = await BlitzProcess.Run(fixture.Cache, "generate", "--cluster", cluster, "--cluster-id", clusterId, "--model", model,
            "--prompt", "x", "--max-tokens", "2");
        Assert.True(generate.ExitCode == 0, generate.Stderr);

        var scale = await BlitzProcess.Run(fixture.Cache, "scale", "--cluster", cluster, "--cluster-id", clusterId, "--model", "tiny",
            "--instances", "2", "--gpus", "scale-b/gpu0");
        output.WriteLine(scale.Stdout);
        Assert.True(scale.ExitCode == 0, scale.Stderr);
        Assert.Contains("plan: 1 target(s) in 1 chain(s)", scale.Stdout);
        Assert.Contains("scale-a/gpu0 -Network-> scale-b/gpu0", scale.Stdout);
        Assert.Matches(@"tiny/1/0: \d+/\d+ layers", scale.Stdout);
        Assert.Contains("tiny/1/0 on scale-b/gpu0: Serving", scale.Stdout);
        Assert.Contains("from scale-a/gpu0 (Network)", scale.Stdout);

        var down = await BlitzProcess.Run(fixture.Cache, "scale", "--cluster", cluster, "--cluster-id", clusterId, "--model", "tiny", "--instances", "1");
        Assert.True(down.ExitCode == 0, down.Stderr);
        Assert.Contains("tiny/1/0 on scale-b/gpu0: Warm", down.Stdout);

        var status = await BlitzProcess.Run(fixture.Cache, "status", "--cluster", cluster, "--cluster-id", clusterId);
        Assert.True(status.ExitCode == 0, status.Stderr);
        Assert.Contains("tiny/1/0 (warm)", status.Stdout);
        Assert.Contains("policy blitz, host copies: scale-", status.Stdout);
        // Both instances measured their prefill before their first request (cpu backend).
        Assert.Equal(2, Regex.Matches(status.Stdout, @"prefill rated \d+ tokens/s at start").Count);
    }

    /// <summary>
    /// The deployment lives in Redis (Microsoft.Orleans.Persistence.Redis), not in the memory of the silo that holds the model
    /// grain: each silo is SIGKILLed in turn (the first restarted before the second dies), so the model grain's silo dies
    /// once whichever it was, and each time the survivor serves the same greedy tokens with the deployment's two instances.
    /// </summary>
    [SkippableFact]
    public async Task TheDeploymentSurvivesEachSiloBeingKilledInTurnThroughRedisStorage()
    {
        Skip.If(redis.Endpoint is null, redis.MissingReason);
        string clusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
        string cluster = $"redis://{redis.Endpoint}";
        string[] twoGpus = ["--gpus", "2"];
        var siloA = await SiloProcess.Start(fixture.Cache, "kill-a", redis.Endpoint, clusterId, twoGpus);
        var siloB = await SiloProcess.Start(fixture.Cache, "kill-b", redis.Endpoint, clusterId, twoGpus);
        try
        {
            string model = await SyntheticModel();
            var deploy = await BlitzProcess.Run(fixture.Cache, "deploy", "--cluster", cluster, "--cluster-id", clusterId, "--model", model,
                "--instances", "2", "--gpus", "kill-a/gpu0", "kill-b/gpu0");
            Assert.True(deploy.ExitCode == 0, deploy.Stderr);
            var expected = await Generate(cluster, clusterId);

            siloA.Kill();
            await WaitForServingOnlyOn(cluster, clusterId, "kill-b", siloB);
            Assert.Equal(expected, await Generate(cluster, clusterId));

            await siloA.DisposeAsync();
            siloA = await SiloProcess.Start(fixture.Cache, "kill-a", redis.Endpoint, clusterId, twoGpus);
            siloB.Kill();
            await WaitForServingOnlyOn(cluster, clusterId, "kill-a", siloA);
            Assert.Equal(expected, await Generate(cluster, clusterId));
        }
        finally
        {
            await siloA.DisposeAsync();
            await siloB.DisposeAsync();
        }
    }

    private async Task<int[]> Generate(string cluster, string clusterId)
    {
        var generate = await BlitzProcess.Run(fixture.Cache, "generate", "--cluster", cluster, "--cluster-id", clusterId, "--model", "tiny",
            "--prompt", "x", "--max-tokens", "12", "--json");
        Assert.True(generate.ExitCode == 0, generate.Stderr);
        return JsonDocument.Parse(generate.Stdout).RootElement.GetProperty("output_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
    }

    /// <summary>
    /// Polls the status (a client process each time: the dead silo's shards make it fail until membership declares the silo
    /// dead) until the model has its two instances Serving, both on <paramref name="host"/>; 180 s at most. On failure the
    /// survivor's log is printed: what the model grain did about the lost instance is there.
    /// </summary>
    private async Task WaitForServingOnlyOn(string cluster, string clusterId, string host, SiloProcess survivor)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(180);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            var status = await BlitzProcess.Run(fixture.Cache, "status", "--cluster", cluster, "--cluster-id", clusterId, "--json", "--connect-timeout", "20");
            if (status.ExitCode == 0)
            {
                var models = JsonDocument.Parse(status.Stdout).RootElement.GetProperty("models").EnumerateArray().ToList();
                var instances = models.Count == 1 ? models[0].GetProperty("instances").EnumerateArray().ToList() : [];
                last = string.Join(", ", instances.Select(i => $"{i.GetProperty("gpu")}: {i.GetProperty("state")}"));
                if (instances.Count == 2 && instances.All(i => i.GetProperty("state").ToString() == "Serving" && i.GetProperty("gpu").ToString().StartsWith(host + "/", StringComparison.Ordinal)))
                    return;
            }
            else
            {
                last = status.Stderr.Trim();
            }
            output.WriteLine($"waiting for 2 Serving on {host}: {last}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        output.WriteLine($"{host}'s silo log:");
        output.WriteLine(survivor.Log);
        Assert.Fail($"the model did not come back with 2 instances Serving on {host} within 180 s; last status: {last}");
    }

    [Fact]
    public async Task ALocalhostClusteredSiloServesAClientProcess()
    {
        string siloPort = Silo.FreePorts.Next().ToString(), gatewayPort = Silo.FreePorts.Next().ToString();
        await using var silo = await SiloProcess.Start(fixture.Cache, "local-a", ["--silo-port", siloPort, "--primary-port", siloPort, "--gateway-port", gatewayPort]);
        var status = await BlitzProcess.Run(fixture.Cache, "status", "--cluster", $"localhost:{gatewayPort}", "--json");
        Assert.True(status.ExitCode == 0, status.Stderr);
        Assert.Equal("local-a", JsonDocument.Parse(status.Stdout).RootElement.GetProperty("hosts")[0].GetProperty("host").GetProperty("host").GetString());

        // An unreachable cluster is a cluster fault (exit 1), not a usage error.
        var unreachable = await BlitzProcess.Run(fixture.Cache, "status", "--cluster", $"localhost:{Silo.FreePorts.Next()}", "--connect-timeout", "5");
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("cannot reach the cluster at localhost:", unreachable.Stderr);
    }

    [Fact]
    public async Task A_redis_cluster_with_no_redis_there_is_reported_without_waiting_the_whole_timeout()
    {
        int port = Silo.FreePorts.Next();
        var started = System.Diagnostics.Stopwatch.StartNew();

        var unreachable = await BlitzProcess.Run(fixture.Cache, "status", "--cluster", $"redis://127.0.0.1:{port}", "--connect-timeout", "90");

        Assert.Equal(1, unreachable.ExitCode);
        string line = Assert.Single(unreachable.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"blitz: error: cannot reach the cluster at redis://127.0.0.1:{port} (cluster id \"blitzscale\"): no Redis server accepts connections at 127.0.0.1:{port} (refused;", line);
        // About 10 s of refusals end the attempts; the 90 s given is the bound for a server that answers slowly.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(60), $"took {started.Elapsed}");
    }

    private async Task<string> SyntheticModel()
    {
        string dir = Path.Combine(fixture.NewDirectory(), "tiny");
        var synth = await BlitzProcess.Run(fixture.Cache, "model", "synth", "--out", dir, "--shape", "tiny", "--dtype", "f32");
        Assert.True(synth.ExitCode == 0, synth.Stderr);
        return dir;
    }

    /// <summary>A <c>blitz silo</c> process; started means its start-up line was logged.</summary>
    private sealed class SiloProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _log;
        private readonly Task _stderr;

        private SiloProcess(Process process, System.Text.StringBuilder log)
        {
            _process = process;
            _log = log;
            _stderr = Follow(process, log);
        }

        /// <summary>The silo's log so far (its standard error), for a failing test to print.</summary>
        public string Log
        {
            get { lock (_log) return _log.ToString(); }
        }

        private static async Task Follow(Process process, System.Text.StringBuilder log)
        {
            string? line;
            while ((line = await process.StandardError.ReadLineAsync()) is not null)
            {
                lock (log) log.AppendLine(line);
            }
        }

        public static Task<SiloProcess> Start(string cache, string host, string redis, string clusterId, string[]? more = null) =>
            Start(cache, host, ["--redis", redis, "--cluster-id", clusterId, "--silo-port", Silo.FreePorts.Next().ToString(),
                "--gateway-port", Silo.FreePorts.Next().ToString(), .. more ?? []]);

        public static async Task<SiloProcess> Start(string cache, string host, string[] clustering)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "blitz.dll"), "silo", "--host", host, "--dashboard", "false", "--api", "false", "--gpu-memory-gib", "1" }.Concat(clustering))
            {
                start.ArgumentList.Add(arg);
            }
            start.Environment["BLITZSCALE_CACHE"] = cache;
            // A silo run on its own has no default cluster secret; the test cluster's silos share this one.
            start.Environment["BLITZSCALE_CLUSTER_SECRET"] = "redis-cluster-test-secret-0123456789";
            var process = Process.Start(start)!;
            _ = process.StandardOutput.ReadToEndAsync();
            var seen = new System.Text.StringBuilder();
            string? line;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while ((line = await process.StandardError.ReadLineAsync(timeout.Token)) is not null)
            {
                seen.AppendLine(line);
                if (line.Contains($"BlitzScale silo for host {host}", StringComparison.Ordinal))
                    return new SiloProcess(process, seen);
            }
            throw new InvalidOperationException($"silo {host} exited before starting:\n{seen}");
        }

        /// <summary>SIGKILL: the silo leaves without a word to the cluster, as a crashed host does.</summary>
        public void Kill() => _process.Kill(entireProcessTree: true);

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            await ((Task)_stderr).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _process.Dispose();
        }
    }
}
