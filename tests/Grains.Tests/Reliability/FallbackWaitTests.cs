using BlitzScale.Grains.Serving;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// A shard that lost its source waits out the grace for the model grain's plan, unless the model grain cannot be reached
/// (bench chaos: its silo died with the source), when it falls back at once. The grace is a task the test completes, so
/// nothing here waits on a clock.
/// </summary>
public sealed class FallbackWaitTests
{
    [Fact]
    public async Task A_call_the_runtime_cannot_deliver_ends_the_wait_before_the_grace()
    {
        var grace = new TaskCompletionSource();
        string? why = await FallbackWait.WaitUnlessUnreachable(
            () => Task.FromException(new SiloUnavailableException("Target silo S10.222.0.2:11111:1 is unavailable")), grace.Task);
        Assert.False(grace.Task.IsCompleted);
        Assert.NotNull(why);
        Assert.Contains("SiloUnavailableException", why);
        Assert.Contains("S10.222.0.2:11111:1", why);
    }

    [Fact]
    public async Task The_reason_leaves_out_the_stack_that_Orleans_puts_in_the_message()
    {
        var rejected = new SiloUnavailableException(
            "Exception while sending message: ConnectionFailedException: Unable to connect to S10.222.0.3:11111:7    at Orleans.Runtime.Messaging.ConnectionManager.GetConnectionAsync(SiloAddress endpoint)");
        string? why = await FallbackWait.WaitUnlessUnreachable(() => Task.FromException(rejected), new TaskCompletionSource().Task);
        Assert.Equal("SiloUnavailableException: Exception while sending message: ConnectionFailedException: Unable to connect to S10.222.0.3:11111:7", why);
    }

    [Fact]
    public async Task A_model_grain_that_answers_is_given_the_whole_grace()
    {
        var grace = new TaskCompletionSource();
        var wait = FallbackWait.WaitUnlessUnreachable(() => Task.CompletedTask, grace.Task);
        await Task.Yield();
        Assert.False(wait.IsCompleted);
        grace.SetResult();
        Assert.Null(await wait);
    }

    [Fact]
    public async Task An_error_of_the_model_grain_itself_is_not_unreachable()
    {
        var grace = new TaskCompletionSource();
        var wait = FallbackWait.WaitUnlessUnreachable(() => Task.FromException(new InvalidOperationException("model m is not deployed")), grace.Task);
        await Task.Yield();
        Assert.False(wait.IsCompleted);
        grace.SetResult();
        Assert.Null(await wait);
    }

    [Fact]
    public async Task A_call_that_hangs_waits_for_the_grace_only()
    {
        var grace = new TaskCompletionSource();
        var never = new TaskCompletionSource();
        var wait = FallbackWait.WaitUnlessUnreachable(() => never.Task, grace.Task);
        Assert.False(wait.IsCompleted);
        grace.SetResult();
        Assert.Null(await wait);
    }
}
