namespace BlitzScale.Cli.Tests.Commands;

/// <summary><c>blitz scale</c> refuses what it can check itself before it connects.</summary>
public sealed class ScaleCommandTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    [Fact]
    public async Task A_negative_instance_count_is_refused_before_connecting()
    {
        // Nothing listens at port 1: had the command connected first, it would have said so after about 10 s.
        var result = await BlitzProcess.Run(fixture.Cache, "scale", "--cluster", "localhost:1", "--model", "m", "--instances", "-1");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("blitz: error: --instances: expected 0 or more, found -1", result.Stderr.Trim());
    }
}
