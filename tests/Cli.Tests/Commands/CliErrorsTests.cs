using BlitzScale.Cli.Commands;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>
/// Cluster faults reach the user as one line and exit code 1, user mistakes as one line and exit code 2, a command line
/// that does not parse as one line and exit code 2 — never a stack trace or a usage dump.
/// </summary>
public sealed class CliErrorsTests
{
    private const string NoSilo = "cannot place gpu \"h2/gpu0\": host \"h2\" has no active silo in the cluster (hosts with silos: h1)";

    public static TheoryData<Exception, string> Faults() => new()
    {
        { new OrleansException(NoSilo), "host \"h2\" has no active silo" },
        { new OrleansException("cannot place layershard \"m/1/0\": host \"h2\" has no active silo in the cluster (hosts with silos: h1)"), "blitz silo --host h2" },
        { new SiloUnavailableException("Target silo S127.0.0.1:11112:1 is unavailable"), "its host may be down" },
        { Rejection("Forwarding failed: tried to forward message for 2 times"), "could not deliver a call" },
        { new TimeoutException("Response did not arrive on time in 00:00:30"), "did not answer in time" },
        { new OrleansException("something else\n   at Orleans.Runtime.Somewhere()"), "the cluster failed the call: something else" },
    };

    // Orleans makes this one only inside its runtime: its constructor is not public.
    private static Exception Rejection(string message) => (Exception)Activator.CreateInstance(typeof(OrleansMessageRejectionException),
        System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public, null, [message], null)!;

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_cluster_fault_is_one_line_and_exit_code_1(Exception fault, string expected)
    {
        using var stderr = new StringWriter();

        int code = await CliErrors.Run(() => throw fault, stderr);

        Assert.Equal(CliErrors.Failure, code);
        string line = Assert.Single(stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("blitz: error: ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", line);
    }

    [Fact]
    public void The_host_without_a_silo_is_named_with_what_to_do()
    {
        string line = ClusterFaults.Describe(new OrleansException(NoSilo))!;
        Assert.Equal("h2", ClusterFaults.HostWithoutSilo(NoSilo));
        Assert.Contains("Start its silo (`blitz silo --host h2 …`), or leave its GPUs out (--gpus)", line);
        Assert.Null(ClusterFaults.Describe(new NullReferenceException()));
    }

    [Fact]
    public async Task A_user_mistake_is_one_line_and_exit_code_2()
    {
        using var stderr = new StringWriter();
        int code = await CliErrors.Run(() => throw new KeyNotFoundException("model \"x\" is not deployed"), stderr);
        Assert.Equal(CliErrors.UserError, code);
        Assert.Equal("blitz: error: model \"x\" is not deployed" + Environment.NewLine, stderr.ToString());
    }

    [Theory]
    [InlineData(new[] { "generate", "--max-tokens", "abc" }, "abc", "blitz generate --help")]
    [InlineData(new[] { "generate", "--bogus" }, "--bogus", "blitz generate --help")]
    [InlineData(new[] { "scale", "--cluster", "localhost" }, "--model", "blitz scale --help")]
    [InlineData(new[] { "undeploy" }, "--model", "blitz undeploy --help")]
    [InlineData(new[] { "model", "synth", "--out", "d", "--seed", "x" }, "x", "blitz model synth --help")]
    public void A_command_line_that_does_not_parse_is_one_line_and_exit_code_2(string[] args, string named, string help)
    {
        var parse = BlitzRoot.Create().Parse(args);
        Assert.NotEmpty(parse.Errors);
        using var stderr = new StringWriter();

        int code = CliErrors.Usage(parse, stderr);

        Assert.Equal(CliErrors.UserError, code);
        string line = Assert.Single(stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("blitz: error: ", line);
        Assert.Contains(named, line);
        Assert.EndsWith($"see `{help}`", line);
    }

    [Fact]
    public async Task An_argument_error_is_one_line_without_dotnet_parameter_decorations()
    {
        using var range = new StringWriter();
        using var named = new StringWriter();

        await CliErrors.Run(() => throw new ArgumentOutOfRangeException("TopP", 2f, "top-p must be in (0, 1]"), range);
        await CliErrors.Run(() => throw new ArgumentException("unknown model shape \"nosuch\": expected one of tiny, stories15m", "name"), named);

        Assert.Equal("blitz: error: top-p must be in (0, 1], found 2" + Environment.NewLine, range.ToString());
        Assert.Equal("blitz: error: unknown model shape \"nosuch\": expected one of tiny, stories15m" + Environment.NewLine, named.ToString());
    }

    [Theory]
    [InlineData(new[] { "generate", "--temperature", "abc" }, "Cannot parse argument 'abc' for option '--temperature' as a number; see `blitz generate --help`")]
    [InlineData(new[] { "generate", "--max-tokens", "1.5" }, "Cannot parse argument '1.5' for option '--max-tokens' as a whole number; see `blitz generate --help`")]
    public void A_value_of_the_wrong_kind_is_named_in_words_not_as_a_dotnet_type(string[] args, string expected)
    {
        using var stderr = new StringWriter();

        CliErrors.Usage(BlitzRoot.Create().Parse(args), stderr);

        Assert.Equal($"blitz: error: {expected}", stderr.ToString().Trim());
    }

    [Fact]
    public void Help_is_not_a_parse_error()
    {
        Assert.Empty(BlitzRoot.Create().Parse(["generate", "--help"]).Errors);
        Assert.Empty(BlitzRoot.Create().Parse(["undeploy", "--model", "m", "--cluster", "localhost"]).Errors);
    }
}
