using System.Diagnostics;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Native.Engine;
using BlitzScale.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace BlitzScale.Testbed.Tests;

/// <summary>
/// The whole path on real (emulated) hosts: testbed.sh brings up two network namespaces joined by 100 Mbit/s links,
/// one silo process in each, clustered through Redis; a model deployed on h1 is scaled onto h2, whose instance fetches
/// its parameters from h1's GPU over the shaped link, and then generates the goldens token for token.
/// </summary>
public sealed class TestbedEndToEndTests(ITestOutputHelper output)
{
    private const string Model = "stories";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task AnInstanceLoadedFromAPeerOnAnotherHostGeneratesTheGoldens()
    {
        string? missing = await TestbedRequirements.Missing();
        Skip.If(missing is not null, missing);
        string model = RepositoryPaths.Stories260K!;
        using var state = new TempDirectory();
        int redisPort = Silo.FreePorts.Next();
        var clock = Stopwatch.StartNew();
        try
        {
            var up = await Commands.Testbed("up", "--hosts", "2", "--link-mbit", "100", "--gpu-memory-gib", "1", "--state", state.Path,
                "--redis-port", $"{redisPort}", "--blitz", string.Join(' ', Commands.Blitz), "--timeout", "60", "--cpus-per-host", "1");
            Assert.True(up.ExitCode == 0, up.Output);
            output.WriteLine($"testbed up after {clock.Elapsed.TotalSeconds:F1} s");
            // --cpus-per-host 1: host i's silo runs on core i - 1 (modulo the cores), its threads included.
            for (int host = 1; host <= 2; host++)
                Assert.Equal($"{(host - 1) % Environment.ProcessorCount}", CoresOf(int.Parse(File.ReadAllText(Path.Combine(state.Path, $"silo-h{host}.pid")).Trim())));
            Assert.Contains("CPUS_PER_HOST=1", File.ReadAllText(Path.Combine(state.Path, "env")));

            using var client = await Connect($"10.222.0.254:{redisPort}");
            var grains = client.Services.GetRequiredService<IClusterClient>();
            await Until(async () => (await grains.GetGrain<ITopologyGrain>(GrainKeys.Cluster).GetHosts()).Count == 2, "both hosts to register");

            var modelGrain = grains.GetGrain<IModelGrain>(Model);
            await modelGrain.Deploy(new DeployRequest { ModelDirectory = model, Instances = 1, Gpus = ["h1/gpu0"], Policy = LoadPolicy.Blitz });
            await Until(async () => (await modelGrain.GetStatus()).Instances.Any(i => i.Gpu == "h1/gpu0" && i.State == InstanceState.Serving), "h1/gpu0 to serve");

            await modelGrain.Scale(new ScaleRequest { Instances = 2, Gpus = ["h2/gpu0"] });
            InstanceStatus? fresh = null;
            await Until(async () =>
            {
                fresh = (await modelGrain.GetStatus()).Instances.SingleOrDefault(i => i.Gpu == "h2/gpu0");
                Assert.NotEqual(InstanceState.Failed, fresh?.State);
                return fresh?.State == InstanceState.Serving;
            }, "h2/gpu0 to serve");
            output.WriteLine($"h2/gpu0 loaded {fresh!.LoadedBytes} bytes in {fresh.LoadSeconds:F3} s from {fresh.LoadedFrom}");
            Assert.NotNull(fresh.LoadedFrom);
            Assert.Contains("h1/gpu0", fresh.LoadedFrom);
            Assert.Contains(nameof(FeedKind.Network), fresh.LoadedFrom);
            Assert.True(fresh.LoadedBytes > 0);

            var shard = grains.GetGrain<ILayerShardGrain>(fresh.Shard);
            foreach (var golden in GoldenCase.Load(Path.Combine(model, "goldens.jsonl")))
            {
                var ids = new List<int>();
                await foreach (var update in shard.Generate(new GenerateRequest
                {
                    Prompt = golden.Prompt,
                    MaxTokens = golden.Steps + 1 - golden.PromptIds.Length,
                    StopAtEos = false,
                }))
                {
                    if (update.PromptIds is { } prompt) ids.AddRange(prompt);
                    if (update.TokenId >= 0) ids.Add(update.TokenId);
                }
                Assert.True(ids.SequenceEqual(golden.Ids),
                    $"\"{golden.Prompt}\" on {fresh.Shard}: expected [{string.Join(", ", golden.Ids)}], got [{string.Join(", ", ids)}]");
            }
            await client.StopAsync();
            output.WriteLine($"goldens reproduced after {clock.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            var down = await Commands.Testbed("down", "--state", state.Path);
            output.WriteLine(down.Stderr);
            foreach (string log in Directory.EnumerateFiles(state.Path, "silo-h*.log").Order())
                output.WriteLine($"--- {Path.GetFileName(log)}, last lines:\n{string.Join('\n', File.ReadLines(log).TakeLast(10))}");
        }
        Assert.False(Directory.Exists("/sys/class/net/blitzbr0"), "testbed.sh down left the bridge behind");
        Assert.DoesNotContain("blitz-h", (await Commands.Run(["ip", "netns", "list"])).Stdout);
    }

    [SkippableFact]
    public async Task A_testbed_up_with_tls_serves_clients_with_the_cluster_certificate_and_refuses_others()
    {
        string? missing = await TestbedRequirements.Missing();
        Skip.If(missing is not null, missing);
        Skip.If(!File.Exists("/usr/bin/openssl"), "openssl is not installed (testbed.sh up --tls makes the certificates with it)");
        string model = RepositoryPaths.Stories260K!;
        using var state = new TempDirectory();
        int redisPort = Silo.FreePorts.Next();
        try
        {
            var up = await Commands.Testbed("up", "--hosts", "2", "--link-mbit", "100", "--gpu-memory-gib", "1", "--state", state.Path,
                "--redis-port", $"{redisPort}", "--blitz", string.Join(' ', Commands.Blitz), "--timeout", "60", "--tls");
            Assert.True(up.ExitCode == 0, up.Output);
            string tls = Path.Combine(state.Path, "tls");
            Assert.Contains($"--tls-cert {tls}/client.pem --tls-key {tls}/client.key --tls-ca {tls}/ca.pem", up.Stderr);
            Assert.Contains("TLS=1", File.ReadAllText(Path.Combine(state.Path, "env")));
            // Every silo was started with its own certificate.
            Assert.Contains($"{tls}/h2.pem", File.ReadAllText(Path.Combine(state.Path, "silo-h2.cmd")));

            string secret = File.ReadAllText(Path.Combine(state.Path, "secret"));
            string[] cluster = ["--cluster", $"redis://10.222.0.254:{redisPort}", "--cluster-id", "testbed"];
            string[] certificate = ["--tls-cert", $"{tls}/client.pem", "--tls-key", $"{tls}/client.key", "--tls-ca", $"{tls}/ca.pem"];
            string[] Blitz(params string[] args) => ["env", $"BLITZSCALE_CLUSTER_SECRET={secret}", .. Commands.Blitz, .. args];

            // The second instance loads from the first across the link: the silos joined each other over TLS.
            var deploy = await Commands.Run(Blitz(["deploy", .. cluster, .. certificate, "--model", model, "--instances", "2", "--gpus", "h1/gpu0", "h2/gpu0"]));
            Assert.True(deploy.ExitCode == 0, deploy.Output);
            Assert.Contains("on h2/gpu0: Serving", deploy.Stdout + deploy.Stderr);

            var golden = GoldenCase.Load(Path.Combine(model, "goldens.jsonl")).First();
            var generate = await Commands.Run(Blitz(["generate", .. cluster, .. certificate, "--model", model, "--prompt", golden.Prompt, "--max-tokens", "32", "--json"]));
            Assert.True(generate.ExitCode == 0, generate.Output);
            var output = System.Text.Json.JsonDocument.Parse(generate.Stdout).RootElement.GetProperty("output_ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
            Assert.Equal(golden.Ids.Skip(golden.PromptIds.Length).Take(32), output);

            // A client without the certificate is told what it lacks, in one line, and exits 1.
            var plain = await Commands.Run(Blitz(["generate", .. cluster, "--model", model, "--prompt", golden.Prompt, "--max-tokens", "4", "--connect-timeout", "20"]));
            Assert.True(plain.ExitCode == 1, plain.Output);
            Assert.Contains("requires TLS", plain.Stderr);
            Assert.DoesNotContain("   at ", plain.Stderr);
        }
        finally
        {
            var down = await Commands.Testbed("down", "--state", state.Path);
            output.WriteLine(down.Stderr);
        }
    }

    private static async Task<IHost> Connect(string redis)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
            client.Configure<ClusterOptions>(o => o.ClusterId = o.ServiceId = "testbed");
        });
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(Patience);
        await host.StartAsync(timeout.Token);
        return host;
    }

    // Waits on the grid's own state, polled; a load over the 100 Mbit/s link takes well under a second for this model.
    private static async Task Until(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited {Patience.TotalSeconds:F0} s for {what}");
            await Task.Delay(100);
        }
    }

    // The cores a process may run on, as the kernel lists them ("0", "0-3", "0,2").
    private static string CoresOf(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Single(line => line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)).Split(':')[1].Trim();
}
