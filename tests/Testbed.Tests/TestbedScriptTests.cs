namespace BlitzScale.Testbed.Tests;

/// <summary>testbed.sh's own checks, which need no root and change nothing.</summary>
public sealed class TestbedScriptTests
{
    [Fact]
    public async Task TheScriptParses()
    {
        var result = await Commands.Run(["bash", "-n", Commands.TestbedScript]);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Fact]
    public async Task HelpShowsTheUsageHeader()
    {
        var result = await Commands.Testbed("help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("testbed.sh up --hosts N --link-mbit R", result.Stdout);
        Assert.Contains("testbed.sh down", result.Stdout);
        Assert.DoesNotContain("set -euo", result.Stdout);
    }

    [Theory]
    [InlineData(new[] { "up", "--hosts", "0", "--link-mbit", "100" }, "--hosts must be 1..")]
    [InlineData(new[] { "up", "--hosts", "2", "--link-mbit", "fast" }, "--link-mbit must be a positive whole number")]
    [InlineData(new[] { "up", "--hosts", "2", "--link-mbit", "100", "--bogus" }, "unknown option --bogus")]
    [InlineData(new[] { "up", "--hosts", "2", "--link-mbit", "100", "--cpus-per-host", "100000" }, "--cpus-per-host must be a whole number in 0..")]
    [InlineData(new[] { "up", "--hosts", "2", "--link-mbit", "100", "--cpus-per-host", "one" }, "--cpus-per-host must be a whole number in 0..")]
    [InlineData(new[] { "exec", "node1", "true" }, "expected a host name like h1")]
    [InlineData(new[] { "launch" }, "unknown command 'launch'")]
    public async Task BadArgumentsAreRefusedBeforeAnythingIsMade(string[] args, string message)
    {
        var result = await Commands.Testbed(args);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Stderr);
    }
}
