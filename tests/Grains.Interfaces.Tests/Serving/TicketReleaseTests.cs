using BlitzScale.Grains.Interfaces.Serving;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Grains.Interfaces.Tests.Serving;

/// <summary>
/// Issue 14: a request's ticket goes back to the router even when the runtime fails the first try (a grain directory range
/// moving after a silo died), since an open ticket holds its instance's drain for the whole drain time.
/// </summary>
public sealed class TicketReleaseTests
{
    [Fact]
    public async Task A_release_the_runtime_fails_is_tried_again_until_it_reaches_the_router()
    {
        var router = new Router(failures: 2, new SiloUnavailableException("Target silo S127.0.0.1:11112:1 is unavailable"));
        await GridGeneration.Release(router, ticket: 7);
        // The stream's end does not wait for the retries; they reach the router in the background.
        Assert.Equal(7, await router.Released.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(3, router.Calls);
    }

    [Fact]
    public async Task A_release_that_reaches_the_router_is_made_once()
    {
        var router = new Router(failures: 0, null);
        await GridGeneration.Release(router, ticket: 3);
        Assert.True(router.Released.Task.IsCompletedSuccessfully);
        Assert.Equal(1, router.Calls);
    }

    [Fact]
    public async Task An_error_of_the_router_itself_is_not_tried_again()
    {
        var router = new Router(failures: 1, new InvalidOperationException("model \"m\" is not deployed"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => GridGeneration.Release(router, ticket: 5));
        Assert.Equal(1, router.Calls);
    }

    [Fact]
    public async Task A_release_that_stands_unanswered_lets_the_stream_end_after_the_wait_limit_and_goes_on_in_the_background()
    {
        // Through a gateway that died meanwhile the call stands until the response timeout; the stream must not end that late.
        var time = new FakeTimeProvider();
        var router = new Unanswered();
        // The process's counts while it lives: this class's tests run one at a time, and no other class's releases stand.
        using var counted = new HandBackCounts();
        var release = GridGeneration.Release(router, ticket: 4, time);
        await router.Called.Task.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(GridGeneration.ReleaseHedgeAfter);
        Assert.False(release.IsCompleted);
        time.Advance(GridGeneration.ReleaseWaitLimit - GridGeneration.ReleaseHedgeAfter - TimeSpan.FromTicks(1));
        Assert.False(release.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));
        await release.WaitAsync(TimeSpan.FromSeconds(30));

        // The calls still go on (the first and the one that joined it): their answers, when they come, are taken quietly.
        router.Answer.SetResult();
        Assert.Equal(2, router.Calls);
        Assert.Equal((1L, 1L), (counted.SecondTries, counted.PastLimit));
    }

    [Fact]
    public async Task A_release_unanswered_for_a_moment_is_joined_by_a_second_try_whose_answer_ends_the_wait()
    {
        // The first try went through a gateway that died; the second, through a live one, is answered at once.
        var time = new FakeTimeProvider();
        var router = new FirstUnanswered();
        using var counted = new HandBackCounts();
        var release = GridGeneration.Release(router, ticket: 9, time);
        await router.FirstCalled.Task.WaitAsync(TimeSpan.FromSeconds(30));

        time.Advance(GridGeneration.ReleaseHedgeAfter - TimeSpan.FromTicks(1));
        Assert.False(release.IsCompleted);
        Assert.Equal(1, router.Calls);
        time.Advance(TimeSpan.FromTicks(1));
        await release.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, router.Calls);
        Assert.Equal([9L, 9L], router.Tickets);
        Assert.Equal((1L, 0L), (counted.SecondTries, counted.PastLimit));
    }

    // A model grain that never answers the first Release and answers every later one.
    private sealed class FirstUnanswered : ModelGrainStub
    {
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);
        public List<long> Tickets { get; } = [];
        public TaskCompletionSource FirstCalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Task Release(long ticket)
        {
            lock (Tickets) Tickets.Add(ticket);
            if (Interlocked.Increment(ref _calls) > 1) return Task.CompletedTask;
            FirstCalled.TrySetResult();
            return new TaskCompletionSource().Task;
        }
    }

    // A model grain whose Release is answered only when the test says so.
    private sealed class Unanswered : ModelGrainStub
    {
        public int Calls;
        public TaskCompletionSource Called { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Task Release(long ticket)
        {
            Interlocked.Increment(ref Calls);
            Called.TrySetResult();
            return Answer.Task;
        }
    }

    // A model grain whose Release fails the first `failures` calls with `error`.
    private sealed class Router(int failures, Exception? error) : ModelGrainStub
    {
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);
        public TaskCompletionSource<long> Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Task Release(long ticket)
        {
            if (Interlocked.Increment(ref _calls) <= failures) return Task.FromException(error!);
            Released.TrySetResult(ticket);
            return Task.CompletedTask;
        }
    }
}
