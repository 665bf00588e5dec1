using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Interfaces.Tests.Serving;

/// <summary>
/// A route call kept waiting is given up when the model grain no longer holds it (its activation died with its silo), and
/// not before: the caller asks after each probe period. Outcomes are decided by signals, not by how fast this machine runs;
/// the periods are short real ones so that the tests end quickly.
/// </summary>
public sealed class RouteWatchTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Long = TimeSpan.FromHours(1);
    private static readonly TimeSpan Signal = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_answer_before_the_probe_period_is_returned_without_asking()
    {
        var router = new Router();
        var watched = Watch(router, probeEvery: Long);
        router.Answer(ticket: 7);

        Assert.Equal(7, (await watched.WaitAsync(Signal)).Ticket);
        Assert.Equal(0, router.Probes);
    }

    [Fact]
    public async Task A_call_the_model_grain_still_holds_is_waited_for_across_probes()
    {
        var router = new Router { Holding = true };
        var watched = Watch(router, probeEvery: Short);

        await router.ProbedTwice.Task.WaitAsync(Signal);
        Assert.False(watched.IsCompleted);
        router.Answer(ticket: 9);

        Assert.Equal(9, (await watched.WaitAsync(Signal)).Ticket);
        Assert.Equal(router.RoutedWait, router.ProbedWait);
        Assert.NotEqual(Guid.Empty, router.RoutedWait);
        Assert.Empty(router.Released);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_call_the_model_grain_no_longer_holds_is_given_up_as_a_runtime_fault_and_a_late_answer_hands_its_seat_back(bool probeFails)
    {
        var router = new Router { Holding = false, ProbeFails = probeFails };
        var watched = Watch(router, probeEvery: Short);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => watched.WaitAsync(Signal));
        Assert.True(ResumableGeneration.IsRuntimeFault(error, CancellationToken.None));
        Assert.Contains("no longer holds", error.Message);

        router.Answer(ticket: 11);
        Assert.Equal(11, await router.ReleasedOne.Task.WaitAsync(Signal));
    }

    [Fact]
    public async Task The_calls_own_failure_reaches_the_caller()
    {
        var router = new Router();
        var watched = Watch(router, probeEvery: Long);
        router.Fail(new InvalidOperationException("model \"m\": no instance takes requests"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => watched.WaitAsync(Signal));
        Assert.Contains("no instance", error.Message);
    }

    private static Task<RouteDecision> Watch(Router router, TimeSpan probeEvery) =>
        RouteWatch.Watched(router, wait => router.Route(100, 50, wait), TimeProvider.System, probeEvery, probeLimit: Short, answerGrace: Short,
            CancellationToken.None);

    // A model grain whose one route call is answered when the test says, and that says whether it holds it.
    private sealed class Router : ModelGrainStub
    {
        private readonly TaskCompletionSource<RouteDecision> _route = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _probes;

        public bool Holding { get; init; }
        public bool ProbeFails { get; init; }
        public int Probes => Volatile.Read(ref _probes);
        public Guid RoutedWait { get; private set; }
        public Guid ProbedWait { get; private set; }
        public TaskCompletionSource ProbedTwice { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource<long> ReleasedOne { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<long> Released { get; } = [];

        public void Answer(long ticket) => _route.SetResult(new RouteDecision(ticket, "m/0/0", "h0"));

        public void Fail(Exception error) => _route.SetException(error);

        public override Task<RouteDecision> Route(long estimatedTokens, long promptTokens, Guid wait)
        {
            RoutedWait = wait;
            return _route.Task;
        }

        public override Task<bool> Holds(Guid wait)
        {
            ProbedWait = wait;
            if (Interlocked.Increment(ref _probes) >= 2) ProbedTwice.TrySetResult();
            return ProbeFails ? Task.FromException<bool>(new TimeoutException("the silo is gone")) : Task.FromResult(Holding);
        }

        public override Task Release(long ticket)
        {
            lock (Released) Released.Add(ticket);
            ReleasedOne.TrySetResult(ticket);
            return Task.CompletedTask;
        }
    }
}
