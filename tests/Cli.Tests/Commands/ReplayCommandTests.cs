using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary><c>blitz replay</c> says what is wrong with the trace and the window before it connects to a cluster.</summary>
public sealed class ReplayCommandTests(CliFixture fixture) : IClassFixture<CliFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // An Azure-format trace of these rows (TIMESTAMP,ContextTokens,GeneratedTokens).
    private string AzureTrace(params string[] rows)
    {
        string path = _dir.File("azure.csv");
        File.WriteAllLines(path, ["TIMESTAMP,ContextTokens,GeneratedTokens", .. rows]);
        return path;
    }

    [Fact]
    public async Task A_file_that_is_no_trace_is_named_before_connecting()
    {
        string path = _dir.File("notes.csv");
        File.WriteAllText(path, "hello\nworld\n");

        // Nothing listens at port 1: had the command connected first, it would have said so after about 10 s, and of the cluster.
        var result = await BlitzProcess.Run(fixture.Cache, "replay", "--cluster", "localhost:1", "--model", "m", "--trace", path);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"blitz: error: {path}:1: column (header): expected an azure header", result.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Contains("found \"hello\"", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_window_after_the_traces_end_is_refused_before_connecting()
    {
        string path = AzureTrace("2023-11-16 18:17:03.9799600,4808,10", "2023-11-16 18:17:04.9799600,48,10");

        var result = await BlitzProcess.Run(fixture.Cache, "replay", "--cluster", "localhost:1", "--model", "m", "--trace", path, "--start", "50");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"blitz: error: --start 50 s is after the trace's last arrival (1.0 s) in {path}", result.Stderr.Trim());
    }

    [Fact]
    public async Task An_unreachable_cluster_is_given_up_after_the_connect_timeout_and_named()
    {
        string path = AzureTrace("2023-11-16 18:17:03.9799600,48,10");

        var result = await BlitzProcess.Run(fixture.Cache, "replay", "--cluster", "localhost:1", "--connect-timeout", "1", "--model", "m", "--trace", path);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("blitz: error: cannot reach the cluster at localhost:1", result.Stderr.Trim(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("replay", "replay drives a model deployed on a running grid")]
    [InlineData("status", "status reads a running grid")]
    [InlineData("deploy", "deploy acts on a running grid")]
    public async Task The_help_of_a_command_that_needs_a_running_grid_says_cluster_is_required(string command, string purpose)
    {
        var result = await BlitzProcess.Run(fixture.Cache, command, "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"(required: {purpose})", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("embedded single-host grid", result.Stdout, StringComparison.Ordinal);
    }
}
