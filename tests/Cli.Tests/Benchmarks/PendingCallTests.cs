using BlitzScale.Cli.Benchmarks;

namespace BlitzScale.Cli.Tests.Benchmarks;

public sealed class PendingCallTests
{
    [Fact]
    public async Task A_call_in_flight_is_kept_for_the_next_poll_and_its_answer_handed_out_once()
    {
        var pending = new PendingCall<int>();
        var answer = new TaskCompletionSource<int>();
        int started = 0;
        Task<int> Call()
        {
            started++;
            return started == 1 ? answer.Task : Task.FromResult(7);
        }

        Assert.Null(await pending.Poll(Call, TimeSpan.Zero));
        Assert.Null(await pending.Poll(Call, TimeSpan.Zero));
        Assert.Equal(1, started);

        answer.SetResult(42);
        Assert.Equal(new PendingOutcome<int>(42, null), await pending.Poll(Call, TimeSpan.Zero));
        // Handed out: the next poll is a new call.
        Assert.Equal(new PendingOutcome<int>(7, null), await pending.Poll(Call, TimeSpan.Zero));
        Assert.Equal(2, started);
    }

    [Fact]
    public async Task A_call_that_ends_within_the_wait_is_answered_in_the_same_poll()
    {
        var pending = new PendingCall<string>();
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var poll = pending.Poll(() => answer.Task, TimeSpan.FromMinutes(5));
        answer.SetResult("serving");

        Assert.Equal("serving", (await poll)!.Value);
    }

    [Fact]
    public async Task A_failed_call_gives_its_exception_whether_it_threw_at_once_or_later()
    {
        var pending = new PendingCall<int>();

        var thrown = await pending.Poll(() => throw new InvalidOperationException("silo gone"), TimeSpan.Zero);
        var faulted = await pending.Poll(() => Task.FromException<int>(new TimeoutException("no answer")), TimeSpan.Zero);

        Assert.Equal("silo gone", Assert.IsType<InvalidOperationException>(thrown!.Error).Message);
        Assert.Equal("no answer", Assert.IsType<TimeoutException>(faulted!.Error).Message);
    }
}
