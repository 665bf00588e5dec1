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
    public void A_redis_cluster_whose_redis_refuses_says_no_redis_there()
    {
        var redis = new GridConnection("redis://10.0.0.9:6399", "testbed", TimeSpan.FromSeconds(120));
        var error = new OrleansException("It was not possible to connect to the redis server(s). Error connecting right now.");

        string refused = ConnectFailure.Describe(redis, error, 9, listening: false, redis: "10.0.0.9:6399");
        string busy = ConnectFailure.Describe(redis, error, 9, listening: true, redis: "10.0.0.9:6399");

        Assert.StartsWith("cannot reach the cluster at redis://10.0.0.9:6399 (cluster id \"testbed\"): no Redis server accepts connections at 10.0.0.9:6399 (refused; 9 attempt(s))", refused);
        Assert.DoesNotContain("no silo", refused);
        // Redis answers: the gateways it lists are what did not let the client in.
        Assert.Contains("a gateway did not let this client in within 120 s", busy);
    }

    [Theory]
    [InlineData("redis://10.222.0.254:6399", "10.222.0.254", 6399)]
    [InlineData("redis://cache.internal", "cache.internal", 6379)]
    [InlineData("redis://127.0.0.1:7000,abortConnect=false", "127.0.0.1", 7000)]
    public void The_redis_server_probed_is_the_clusters_first_endpoint(string cluster, string host, int port)
    {
        Assert.Equal((host, port), GridSession.RedisEndpoint(cluster));
        Assert.Null(GridSession.RedisEndpoint("localhost:30000"));
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
