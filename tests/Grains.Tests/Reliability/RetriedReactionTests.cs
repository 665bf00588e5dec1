using BlitzScale.Grains.Serving;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// The model grain's reactions to a silo's death and to a short instance count (<see cref="RetriedReaction"/>). Found in a
/// whole-suite run: the reaction to a SIGKILLed silo failed once (the runtime cancelled its call to the topology grain while
/// the grain directory moved), the dead silo was never reported again, and the count was never restored.
/// </summary>
public sealed class RetriedReactionTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_reaction_that_fails_is_tried_again_after_the_delay_until_it_succeeds()
    {
        int calls = 0;
        var failures = new List<Exception>();
        var succeeded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reaction = new RetriedReaction(() =>
        {
            if (++calls <= 2) throw new OperationCanceledException("the runtime cancelled the call");
            succeeded.TrySetResult();
            return Task.CompletedTask;
        }, Delay, _time, failures.Add);

        await reaction.Run();
        Assert.Equal(1, calls);
        Assert.True(reaction.RetryPending);
        _time.Advance(Delay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, calls);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await StatusPoll.Until(() => calls == 2, "the first retry never ran");
        _time.Advance(Delay);
        await succeeded.Task.WaitAsync(Limit);

        Assert.Equal(3, calls);
        Assert.Equal(2, failures.Count);
        Assert.All(failures, f => Assert.IsType<OperationCanceledException>(f));
        await StatusPoll.Until(() => !reaction.RetryPending, "a retry is still pending after success");
        _time.Advance(Delay * 5);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task A_reaction_asked_for_while_it_runs_goes_round_once_more_not_twice_at_once()
    {
        int calls = 0, running = 0, most = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reaction = new RetriedReaction(async () =>
        {
            calls++;
            most = Math.Max(most, ++running);
            if (calls == 1) await gate.Task;
            running--;
        }, Delay, _time, _ => Assert.Fail("no run fails"));

        var first = reaction.Run();
        await reaction.Run();
        await reaction.Run();
        Assert.Equal(1, calls);
        gate.SetResult();
        await first.WaitAsync(Limit);

        Assert.Equal(2, calls);
        Assert.Equal(1, most);
        Assert.False(reaction.RetryPending);
    }

    [Fact]
    public async Task Failures_while_a_retry_is_pending_schedule_no_second_one()
    {
        int calls = 0;
        var reaction = new RetriedReaction(() =>
        {
            calls++;
            throw new InvalidOperationException("the topology grain cannot be reached");
        }, Delay, _time, _ => { });

        await reaction.Run();
        await reaction.Run();
        await reaction.Run();
        Assert.Equal(3, calls);

        _time.Advance(Delay);
        await StatusPoll.Until(() => calls == 4, "the retry never ran");
        await StatusPoll.Until(() => reaction.RetryPending, "the failed retry scheduled no next one");
        Assert.Equal(4, calls);
    }
}
