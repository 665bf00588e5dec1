using System.Diagnostics;
using BlitzScale.Grains.DataPlane;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Grains.Tests.DataPlane;

/// <summary>
/// The emulated receive link is one per host: concurrent transfers share its rate, and a chunk is on the link from when its
/// transfer began (its copy is not charged on top).
/// </summary>
public sealed class ReceiveLinkTests
{
    [Fact]
    public async Task Two_transfers_at_once_share_the_rate()
    {
        // 1 MB/s: 4 chunks of 25 kB on each of two transfers are 200 kB, 0.2 s on a shared link (0.1 s if each had its own);
        // the bound leaves 10 ms for sleeps rounded to whole milliseconds.
        var link = new ReceiveLink(1);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            for (int chunk = 0; chunk < 4; chunk++) link.Deliver(25_000);
        })));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.19), $"200 kB crossed a 1 MB/s link in {clock.Elapsed.TotalSeconds:0.000} s");
    }

    // 1 MB/s: 25 kB cross in 25 ms.
    private static readonly TimeSpan ChunkTime = TimeSpan.FromMilliseconds(25);

    [Fact]
    public void A_chunk_whose_copy_took_its_link_time_waits_no_more()
    {
        var time = new FakeTimeProvider();
        var link = new ReceiveLink(1, time);
        var started = link.Now;
        time.Advance(ChunkTime);

        Assert.Equal(TimeSpan.Zero, link.Reserve(25_000, started));
    }

    [Fact]
    public void A_chunk_waits_for_the_rest_of_its_link_time_after_a_short_copy()
    {
        var time = new FakeTimeProvider();
        var link = new ReceiveLink(1, time);
        var started = link.Now;
        time.Advance(TimeSpan.FromMilliseconds(10));

        Assert.Equal(TimeSpan.FromMilliseconds(15), link.Reserve(25_000, started));
    }

    [Fact]
    public void Chunks_started_together_queue_on_the_link()
    {
        var time = new FakeTimeProvider();
        var link = new ReceiveLink(1, time);
        var started = link.Now;

        Assert.Equal(ChunkTime, link.Reserve(25_000, started));
        Assert.Equal(2 * ChunkTime, link.Reserve(25_000, started));
        // Without a start, a chunk counts from now: behind the two.
        Assert.Equal(3 * ChunkTime, link.Reserve(25_000));
    }

    [Fact]
    public void An_idle_link_earns_no_credit_before_a_chunk_starts()
    {
        var time = new FakeTimeProvider();
        var link = new ReceiveLink(1, time);
        link.Reserve(25_000, link.Now);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(ChunkTime, link.Reserve(25_000, link.Now));
    }
}
