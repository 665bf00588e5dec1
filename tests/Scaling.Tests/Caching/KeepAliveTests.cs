using BlitzScale.Scaling.Caching;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Scaling.Tests.Caching;

/// <summary>The host-copy keep-alive on fake time: expiry at exactly the keep-alive, renewal, holds, no keep-alive.</summary>
public sealed class KeepAliveTests
{
    private static readonly TimeSpan TenSeconds = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();
    private readonly KeepAlive _keepAlive;

    public KeepAliveTests() => _keepAlive = new KeepAlive(_time);

    [Fact]
    public void An_unused_entry_expires_at_exactly_its_keep_alive_and_not_a_tick_before()
    {
        _keepAlive.Track("m", TenSeconds);

        _time.Advance(TenSeconds - TimeSpan.FromTicks(1));
        Assert.Empty(_keepAlive.Expired());
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(["m"], _keepAlive.Expired());
    }

    [Fact]
    public void A_use_renews_the_keep_alive_from_that_moment()
    {
        var start = _time.GetUtcNow();
        _keepAlive.Track("m", TenSeconds);
        _time.Advance(TimeSpan.FromSeconds(8));

        Assert.True(_keepAlive.Touch("m"));
        Assert.Equal(start + TimeSpan.FromSeconds(18), _keepAlive.ExpiresAt("m"));
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Empty(_keepAlive.Expired());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["m"], _keepAlive.Expired());
    }

    [Fact]
    public void An_entry_without_a_keep_alive_never_expires()
    {
        _keepAlive.Track("m", null);

        _time.Advance(TimeSpan.FromDays(365));

        Assert.Empty(_keepAlive.Expired());
        Assert.Null(_keepAlive.ExpiresAt("m"));
    }

    [Fact]
    public void A_held_entry_does_not_expire_and_its_release_counts_as_a_use()
    {
        _keepAlive.Track("m", TenSeconds);
        Assert.True(_keepAlive.Hold("m"));

        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(_keepAlive.Expired());
        Assert.True(_keepAlive.Release("m"));
        Assert.False(_keepAlive.Release("m"));
        _time.Advance(TenSeconds - TimeSpan.FromTicks(1));
        Assert.Empty(_keepAlive.Expired());
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(["m"], _keepAlive.Expired());
    }

    [Fact]
    public void Expired_entries_are_listed_in_order_until_forgotten_and_only_they()
    {
        _keepAlive.Track("b", TimeSpan.FromSeconds(1));
        _keepAlive.Track("a", TimeSpan.FromSeconds(2));
        _keepAlive.Track("c", TimeSpan.FromSeconds(60));

        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(["a", "b"], _keepAlive.Expired());
        Assert.True(_keepAlive.Forget("a"));
        Assert.Equal(["b"], _keepAlive.Expired());
        Assert.False(_keepAlive.Forget("a"));
        Assert.Equal(2, _keepAlive.Count);
    }

    [Fact]
    public void Tracking_again_replaces_the_entry_and_unknown_keys_are_refused_quietly()
    {
        _keepAlive.Track("m", TimeSpan.FromSeconds(1));
        _keepAlive.Track("m", null);
        _time.Advance(TimeSpan.FromHours(1));

        Assert.Empty(_keepAlive.Expired());
        Assert.False(_keepAlive.Touch("other"));
        Assert.False(_keepAlive.Hold("other"));
        Assert.Null(_keepAlive.ExpiresAt("other"));
    }

    [Fact]
    public void A_keep_alive_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _keepAlive.Track("m", TimeSpan.Zero));
    }
}
