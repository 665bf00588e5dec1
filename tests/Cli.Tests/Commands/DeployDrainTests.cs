using System.Text.Json;
using BlitzScale.Grains.Hosting;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>
/// Issue 14: an operator sets how long a stopped instance's requests have to finish (<c>blitz deploy --drain-seconds</c>);
/// the model's status says what is in effect, and a value out of range is refused in one line naming it.
/// </summary>
public sealed class DeployDrainTests(CliFixture fixture) : IClassFixture<CliFixture>, IAsyncLifetime
{
    private LocalSilo? _silo;

    public async Task InitializeAsync() => _silo = await LocalSilo.StartAsync(new GpuHostOptions { Host = "drain-host", Gpus = 1, GpuMemoryGiB = 1 });

    [Fact]
    public async Task The_drain_time_given_at_deploy_is_in_effect_and_a_negative_one_is_refused()
    {
        string model = RepositoryPaths.ShippedStories260K;
        var refused = await Blitz("deploy", "--model", model, "--drain-seconds", "-1");
        Assert.Equal(2, refused.ExitCode);
        string line = Assert.Single(refused.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("blitz: error: drain seconds: expected 0 to 86400, found -1", line.Trim());

        var deploy = await Blitz("deploy", "--model", model, "--drain-seconds", "4.5", "--json");
        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        Assert.Equal(4.5, JsonDocument.Parse(deploy.Stdout).RootElement.GetProperty("drain_seconds").GetDouble());
        var status = await Blitz("status", "--json");
        Assert.True(status.ExitCode == 0, status.Stderr);
        var stories = JsonDocument.Parse(status.Stdout).RootElement.GetProperty("models").EnumerateArray().Single();
        Assert.Equal(4.5, stories.GetProperty("drain_seconds").GetDouble());
        Assert.Equal(0, (await Blitz("undeploy", "--model", "stories260K")).ExitCode);
    }

    private Task<BlitzProcess.Result> Blitz(params string[] args) => BlitzProcess.Run(fixture.Cache, [.. args, "--cluster", _silo!.Cluster]);

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
    }
}
