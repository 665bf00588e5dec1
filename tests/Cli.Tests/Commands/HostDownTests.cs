using System.Text.Json;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Silo;
using BlitzScale.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>
/// What a user sees while a host is down (its silo gone, the cluster not yet rid of it): a generate for a model served
/// elsewhere works, status shows the host as unreachable instead of failing, a scale onto it fails in one line naming
/// it, and undeploy removes the model. The down host is registered in the topology with no silo behind it.
/// </summary>
public sealed class HostDownTests(CliFixture fixture, ITestOutputHelper output) : IClassFixture<CliFixture>, IAsyncLifetime
{
    private const string Up = "up-host";
    private const string Down = "down-host";
    private LocalSilo? _silo;

    public async Task InitializeAsync() => _silo = await LocalSilo.StartAsync(new GpuHostOptions { Host = Up, Gpus = 1, GpuMemoryGiB = 1 });

    [Fact]
    public async Task A_host_that_is_down_fails_only_what_needs_it_in_one_line()
    {
        string model = RepositoryPaths.ShippedStories260K;
        var deploy = await Blitz("deploy", "--model", model, "--gpus", $"{Up}/gpu0");
        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        var grains = _silo!.Services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<ITopologyGrain>(GrainKeys.Cluster).RegisterHost(
            new HostInfo(Down, 1, "cpu", 1L << 30, "nvlink-down", 10, "leaf-0", "S127.0.0.1:1:1", null));

        // Generate asks the model grain only: the down host serves nothing of this model.
        var generate = await Blitz("generate", "--model", model, "--prompt", "Once upon a time", "--max-tokens", "8");
        Assert.True(generate.ExitCode == 0, generate.Stderr);
        Assert.StartsWith("Once upon a time", generate.Stdout);

        var table = await Blitz("status");
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Matches($@"{Down}\s+-\s+unreachable\s+-\s+cannot place", table.Stdout);
        Assert.Contains($"{Up}/gpu0", table.Stdout);
        Assert.Contains("stories260K/0/0", table.Stdout);
        var json = await Blitz("status", "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        var hosts = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("hosts").EnumerateArray().ToList();
        Assert.Contains($"host \"{Down}\" has no active silo", hosts.Single(h => h.GetProperty("host").GetProperty("host").GetString() == Down).GetProperty("unreachable").GetString());
        Assert.Equal(JsonValueKind.Null, hosts.Single(h => h.GetProperty("host").GetProperty("host").GetString() == Up).GetProperty("unreachable").ValueKind);

        // A scale onto the down host: one line that names it and says what to do, exit 1, no stack trace.
        var scale = await Blitz("scale", "--model", "stories260K", "--instances", "2", "--gpus", $"{Down}/gpu0");
        output.WriteLine(scale.Stderr);
        Assert.Equal(1, scale.ExitCode);
        string line = Assert.Single(scale.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"host \"{Down}\" has no active silo", line);
        Assert.Contains($"blitz silo --host {Down}", line);
        Assert.DoesNotContain("   at ", scale.Stderr);

        var undeploy = await Blitz("undeploy", "--model", "stories260K");
        Assert.True(undeploy.ExitCode == 0, undeploy.Stderr);
        Assert.Equal("undeployed stories260K: 1 instance(s) unloaded", undeploy.Stdout.Trim());
        var again = await Blitz("undeploy", "--model", "stories260K");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("\"stories260K\" is not deployed", again.Stderr);
    }

    [Fact]
    public async Task A_gateway_port_where_nothing_listens_is_reported_as_no_silo_with_exit_code_1_well_before_the_timeout()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var unreachable = await BlitzProcess.Run(fixture.Cache, "status", "--cluster", $"localhost:{FreePorts.Next()}");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {unreachable.Stderr}");
        // The default wait is 120 s; a refusing port ends it after about 10 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"took {clock.Elapsed.TotalSeconds:F0} s");
        Assert.Equal(1, unreachable.ExitCode);
        string line = Assert.Single(unreachable.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("cannot reach the cluster at localhost:", line);
        Assert.Contains("no silo accepts connections there (refused", line);
    }

    private Task<BlitzProcess.Result> Blitz(params string[] args) => BlitzProcess.Run(fixture.Cache, [.. args, "--cluster", _silo!.Cluster]);

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
    }
}
