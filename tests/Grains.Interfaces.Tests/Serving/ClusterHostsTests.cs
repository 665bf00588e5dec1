using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Grains.Interfaces.Tests.Serving;

/// <summary>Every stream of a process that waits shares one reading of the hosts a second: a thousand stalled streams, one call.</summary>
public sealed class ClusterHostsTests
{
    private readonly FakeTimeProvider _time = new();
    private int _reads;

    [Fact]
    public async Task Readings_are_shared_while_fresh_and_taken_again_after()
    {
        var hosts = new ClusterHosts(Read, _time);

        var first = await hosts.Current();
        var again = await hosts.Current();
        Assert.Same(first, again);
        Assert.Equal(1, _reads);
        Assert.Equal("S10.0.0.1:1:1", first!["h1"]);

        _time.Advance(ClusterHosts.Fresh);
        await hosts.Current();
        Assert.Equal(2, _reads);
    }

    [Fact]
    public async Task A_reading_still_under_way_is_shared_and_one_that_fails_says_null()
    {
        var answer = new TaskCompletionSource<IReadOnlyList<HostInfo>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var hosts = new ClusterHosts(() =>
        {
            _reads++;
            return answer.Task;
        }, _time);

        var waiting = hosts.Current();
        // Even once fresh no longer: a second read would only pile calls on a topology grain that does not answer.
        _time.Advance(ClusterHosts.Fresh);
        Assert.Same(waiting, hosts.Current());
        answer.SetException(new TimeoutException("the topology grain did not answer"));
        Assert.Null(await waiting);
        Assert.Equal(1, _reads);
    }

    [Fact]
    public async Task A_silo_gone_or_replaced_between_two_readings_is_a_death_seen_then()
    {
        var answers = new Queue<IReadOnlyList<HostInfo>>([[H1("S1"), H2("S2")], [H1("S1"), H2("S2")], [H1("S1"), H2("S3")], [H1("S1")], [H1("S1")]]);
        var hosts = new ClusterHosts(() => Task.FromResult(answers.Dequeue()), _time);
        long start = hosts.Now();

        await hosts.Current();
        _time.Advance(ClusterHosts.Fresh);
        await hosts.Current();
        Assert.False(hosts.DeathSeenSince(start));

        // h2 runs another silo: the one before died.
        _time.Advance(ClusterHosts.Fresh);
        long beforeRestart = hosts.Now();
        await hosts.Current();
        Assert.True(hosts.DeathSeenSince(beforeRestart));

        _time.Advance(ClusterHosts.Fresh);
        long later = hosts.Now();
        Assert.False(hosts.DeathSeenSince(later));
        // h2 left.
        await hosts.Current();
        Assert.True(hosts.DeathSeenSince(later));
        _time.Advance(ClusterHosts.Fresh);
        long after = hosts.Now();
        await hosts.Current();
        Assert.False(hosts.DeathSeenSince(after + 1));
    }

    [Fact]
    public async Task Kept_fresh_by_streams_a_reader_knows_the_silo_that_dies_before_any_stream_stalls()
    {
        var answers = new Queue<IReadOnlyList<HostInfo>?>([[H1("S1"), H2("S2")], null, [H1("S1")]]);
        var hosts = new ClusterHosts(() => answers.Dequeue() is { } listed ? Task.FromResult(listed) : Task.FromException<IReadOnlyList<HostInfo>>(new TimeoutException("no answer")), _time);

        // A stream starts: the reading is taken then, not when the stream stalls.
        hosts.KeepFresh();
        _time.Advance(ClusterHosts.Fresh);
        long stalled = hosts.Now();
        // The topology grain died with h2: no answer, and no verdict; its next activation lists h1 alone.
        Assert.Null(await hosts.Current());
        Assert.False(hosts.DeathSeenSince(stalled));
        _time.Advance(ClusterHosts.Fresh);
        Assert.NotNull(await hosts.Current());
        Assert.True(hosts.DeathSeenSince(stalled));
    }

    private static HostInfo H1(string silo) => new("h1", 1, "cpu", 1L << 30, "nvlink-h1", 10, "leaf-0", silo, null);

    private static HostInfo H2(string silo) => new("h2", 1, "cpu", 1L << 30, "nvlink-h2", 10, "leaf-0", silo, null);

    private Task<IReadOnlyList<HostInfo>> Read()
    {
        _reads++;
        return Task.FromResult<IReadOnlyList<HostInfo>>([new HostInfo("h1", 1, "cpu", 1L << 30, "nvlink-h1", 10, "leaf-0", "S10.0.0.1:1:1", null)]);
    }
}
