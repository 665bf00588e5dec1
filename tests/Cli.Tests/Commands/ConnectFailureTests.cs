using System.Net.Sockets;
using BlitzScale.Cli.Commands;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>Why no gateway was reached, in words that tell "no silo there" from "a silo too busy to let the client in".</summary>
public sealed class ConnectFailureTests
{
    private static readonly GridConnection Cluster = new("localhost:30000", "blitzscale", TimeSpan.FromSeconds(60));

    [Fact]
    public void A_refused_connection_says_no_silo_listens()
    {
        var refused = new OrleansException("connection failed", new SocketException((int)SocketError.ConnectionRefused));

        string line = ConnectFailure.Describe(Cluster, refused, 7);

        Assert.StartsWith("cannot reach the cluster at localhost:30000 (cluster id \"blitzscale\"): no silo accepts connections there (refused; 7 attempt(s))", line);
        Assert.Contains("Is a silo running there", line);
        Assert.DoesNotContain("busy", line);
    }

    [Fact]
    public void A_probe_finding_nothing_listening_says_no_silo_whatever_orleans_said()
    {
        var error = new SiloUnavailableException("Unable to connect to any of the 1 available gateways.");
        Assert.Contains("no silo accepts connections there (refused; 3 attempt(s))", ConnectFailure.Describe(Cluster, error, 3, listening: false));
        // Something listens: the same error means a gateway that did not let the client in.
        Assert.Contains("may be busy", ConnectFailure.Describe(Cluster, error, 3, listening: true));
    }

    [Fact]
    public void Time_running_out_says_the_silo_may_be_busy_and_how_to_wait_longer()
    {
        string line = ConnectFailure.Describe(Cluster, null, 0);

        Assert.Contains("a gateway did not let this client in within 60 s", line);
        Assert.Contains("may be busy", line);
        Assert.Contains("--connect-timeout SECONDS", line);
    }

    [Fact]
    public void The_default_wait_is_longer_than_the_old_15_s_and_the_option_is_checked()
    {
        Assert.Equal(TimeSpan.FromSeconds(120), GridConnection.DefaultConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2.5), GridOptions.Timeout(2.5));
        var error = Assert.Throws<ArgumentException>(() => GridOptions.Timeout(0));
        Assert.Equal("--connect-timeout: expected seconds above 0 and at most 3600, found 0", error.Message);
    }

    [Fact]
    public void A_long_prompt_is_echoed_as_a_short_prefix()
    {
        string prompt = new('a', 100_000);
        string echo = PromptEcho.Of(prompt);
        Assert.StartsWith(new string('a', PromptEcho.MaxChars) + "…", echo);
        Assert.True(echo.Length < PromptEcho.MaxChars + 80, echo);
        Assert.Contains("99,800 more characters", echo);
        Assert.Equal("Once upon a time", PromptEcho.Of("Once upon a time"));
    }
}
