using System.Threading.Channels;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Grains.Interfaces.Tests.Serving;

/// <summary>
/// A stream whose shard's silo died is given up once membership says so (its host no longer listed, or listed with another
/// silo), not after the caller's 30 s response timeout; a slow shard on a live silo is waited for, and a failed reading of
/// the hosts decides nothing. Each look is handed to the test (no clock races): the watch asks for a look, the test grants it.
/// </summary>
public sealed class StreamWatchTests
{
    private const string Shard = "m/1/0";
    private const string Host = "h2";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static readonly GenerationUpdate Update = new() { TokenId = 7, Index = 0 };

    private readonly FakeTimeProvider _time = new();
    private readonly Channel<TaskCompletionSource> _looks = Channel.CreateUnbounded<TaskCompletionSource>();
    private int _abandoned;

    [Fact]
    public async Task A_step_that_ends_before_a_look_reads_no_hosts()
    {
        var reads = new Readings(Listed("S10.0.0.2:1:1"));
        var updates = new Updates(Task.FromResult(true));

        var (more, lost) = await Step(updates, reads);

        Assert.True(more);
        Assert.Null(lost);
        Assert.Equal(0, reads.Count);
        Assert.Equal(0, _abandoned);
    }

    [Fact]
    public async Task A_slow_step_on_a_listed_host_is_waited_for()
    {
        var reads = new Readings(Listed("S10.0.0.2:1:1"));
        var next = new TaskCompletionSource<bool>();
        var step = Step(new Updates(next.Task), reads);

        // The fourth look is asked for only once the third has read the hosts and found h2 on its silo.
        var fourth = await AssertWaitedFor(step, next, looks: 3);

        Assert.Equal(3, reads.Count);
        // The step's end stops the looks: the one asked for is cancelled, not left to fire.
        Assert.True(fourth.Task.IsCanceled);
    }

    [Fact]
    public async Task A_host_that_left_the_cluster_gives_the_step_up_as_a_loss()
    {
        var reads = new Readings(Listed("S10.0.0.2:1:1"), Listed("S10.0.0.2:1:1"), []);
        var stuck = new TaskCompletionSource<bool>();
        var step = Step(new Updates(stuck.Task), reads);

        await Grant();
        await Grant();
        await Grant();
        var (more, lost) = await step.WaitAsync(Limit);

        Assert.False(more);
        var loss = Assert.IsType<InstanceLostException>(lost);
        Assert.Equal(Shard, loss.Shard);
        Assert.Contains("its host h2 left the cluster", loss.Message);
        Assert.Equal(1, _abandoned);
        // The call given up fails later (the runtime's timeout), observed by the watch: nothing more comes of it.
        stuck.SetException(new TimeoutException("Response did not arrive on time in 00:00:30"));
        Assert.Equal(3, reads.Count);
    }

    [Fact]
    public async Task A_host_running_another_silo_gives_the_step_up()
    {
        // The silo was killed and started again before this caller looked twice.
        var reads = new Readings(Listed("S10.0.0.2:1:1"), Listed("S10.0.0.2:1:2"));
        var step = Step(new Updates(new TaskCompletionSource<bool>().Task), reads);

        await Grant();
        await Grant();
        var (more, lost) = await step.WaitAsync(Limit);

        Assert.False(more);
        Assert.Contains("runs another silo (S10.0.0.2:1:2, not S10.0.0.2:1:1)", Assert.IsType<InstanceLostException>(lost).Message);
        Assert.Equal(1, _abandoned);
    }

    [Fact]
    public async Task A_reading_that_fails_decides_nothing()
    {
        var reads = new Readings(null, null, Listed("S10.0.0.2:1:1"));
        var next = new TaskCompletionSource<bool>();
        var step = Step(new Updates(next.Task), reads);

        await Grant();
        await Grant();
        await Grant();
        await NextLook();
        next.SetResult(false);
        var (more, lost) = await step.WaitAsync(Limit);

        Assert.False(more);
        Assert.Null(lost);
        Assert.Equal(3, reads.Count);
        Assert.Equal(0, _abandoned);
    }

    [Fact]
    public async Task The_callers_cancellation_is_the_requests_and_no_loss()
    {
        var reads = new Readings(Listed("S10.0.0.2:1:1"));
        using var cancel = new CancellationTokenSource();
        var next = new TaskCompletionSource<bool>();
        var step = Step(new Updates(next.Task), reads, cancel.Token);

        await NextLook();
        await cancel.CancelAsync();
        // The shard's call ends with the caller's token, as Orleans ends a cancelled call.
        next.SetCanceled(cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => step.WaitAsync(Limit));
        Assert.Equal(0, _abandoned);
    }

    [Fact]
    public async Task A_loss_the_shard_reports_is_returned_and_a_request_error_is_thrown()
    {
        var reads = new Readings(Listed("S10.0.0.2:1:1"));

        var (more, lost) = await Step(new Updates(Task.FromException<bool>(new InstanceLostException(Shard, "the instance was unloaded"))), reads);
        Assert.False(more);
        Assert.IsType<InstanceLostException>(lost);

        await Assert.ThrowsAsync<ArgumentException>(() => Step(new Updates(Task.FromException<bool>(new ArgumentException("bad prompt"))), reads));
    }

    [Fact]
    public async Task After_a_death_a_stream_whose_updates_stop_arriving_is_given_up()
    {
        // h1 died (the caller's gateway, say); the shard on h2 lives and has handed out 3 updates, of which 1 arrived.
        var reads = new Readings(Listed("S10.0.0.2:1:1"), OnlyH2("S10.0.0.2:1:1"));
        var step = Step(new Updates(new TaskCompletionSource<bool>().Task), reads, received: 1, answer: () => At(3));

        await AssertGivenUpAtTheThirdLook(step, "its updates stopped reaching the caller (the shard handed out 3, 1 arrived)");
    }

    [Fact]
    public async Task After_a_death_a_stream_waiting_for_its_next_token_is_waited_for()
    {
        var reads = new Readings(Listed("S10.0.0.2:1:1"), OnlyH2("S10.0.0.2:1:1"));
        var next = new TaskCompletionSource<bool>();
        var step = Step(new Updates(next.Task), reads, received: 5, answer: () => At(5));

        await AssertWaitedFor(step, next, looks: 4);
        Assert.Equal(3, _asked);
    }

    [Fact]
    public async Task After_a_death_a_shard_without_the_stream_gives_it_up_and_an_unanswered_question_decides_nothing()
    {
        var reads = new Readings(Listed("S10.0.0.2:1:1"), OnlyH2("S10.0.0.2:1:1"));
        var answers = new Queue<StreamPosition?>([null, Unanswered, null]);
        var step = Step(new Updates(new TaskCompletionSource<bool>().Task), reads, received: 2, answer: () => answers.Dequeue());

        for (int look = 0; look < 4; look++) await Grant();
        var (more, lost) = await step.WaitAsync(Limit);

        Assert.False(more);
        Assert.Contains("the shard no longer streams it", Assert.IsType<InstanceLostException>(lost).Message);
        Assert.Equal(3, _asked);
    }

    [Fact]
    public async Task Without_a_death_the_shard_is_not_asked()
    {
        var reads = new Readings(Listed("S10.0.0.2:1:1"));
        var next = new TaskCompletionSource<bool>();
        var step = Step(new Updates(next.Task), reads, received: 1, answer: () => At(9));

        await AssertWaitedFor(step, next, looks: 3);
        Assert.Equal(0, _asked);
    }

    [Fact]
    public async Task After_a_death_a_shard_that_waits_to_be_asked_gives_the_stream_up()
    {
        // Every update handed out arrived, and the shard has waited 2.5 s for the caller's next ask: it went through a gateway that died.
        var reads = new Readings(Listed("S10.0.0.2:1:1"), OnlyH2("S10.0.0.2:1:1"));
        var step = Step(new Updates(new TaskCompletionSource<bool>().Task), reads, received: 4, answer: () => At(4, unasked: 2.5));

        await AssertGivenUpAtTheThirdLook(step,
            "the caller's ask for its next update never reached the shard (all 4 it handed out arrived; it waited 2.5 s to be asked)");
    }

    [Fact]
    public async Task After_a_death_a_shard_asked_less_than_the_limit_ago_is_waited_for_and_one_long_wait_alone_decides_nothing()
    {
        // Just under the limit, then once over it (the ask arrived between the looks), then under it again.
        var reads = new Readings(Listed("S10.0.0.2:1:1"), OnlyH2("S10.0.0.2:1:1"));
        double under = StreamWatch.UnaskedLimit.TotalSeconds - 0.1;
        var answers = new Queue<StreamPosition?>([At(4, under), At(4, under + 1), At(4, under), At(4, under)]);
        var next = new TaskCompletionSource<bool>();
        var step = Step(new Updates(next.Task), reads, received: 4, answer: () => answers.Dequeue());

        await AssertWaitedFor(step, next, looks: 5);
        Assert.Equal(4, _asked);
    }

    private int _asked;

    // After a death seen at the second look, the shard's two answers in a row (second and third looks) give the stream up:
    // not before the third, asked twice, the step's call cancelled once, with the reason given.
    private async Task AssertGivenUpAtTheThirdLook(Task<(bool More, Exception? Lost)> step, string reason)
    {
        await Grant();
        await Grant();
        Assert.False(step.IsCompleted);
        await Grant();
        var (more, lost) = await step.WaitAsync(Limit);

        Assert.False(more);
        Assert.Contains(reason, Assert.IsType<InstanceLostException>(lost).Message);
        Assert.Equal(2, _asked);
        Assert.Equal(1, _abandoned);
    }

    // Grants the looks, then ends the step with a token while it waits for the next look (returned): the watch must have
    // waited through them all, abandoning nothing.
    private async Task<TaskCompletionSource> AssertWaitedFor(Task<(bool More, Exception? Lost)> step, TaskCompletionSource<bool> next, int looks)
    {
        for (int look = 0; look < looks; look++) await Grant();
        var pending = await NextLook();
        next.SetResult(true);
        var (more, lost) = await step.WaitAsync(Limit);

        Assert.True(more);
        Assert.Null(lost);
        Assert.Equal(0, _abandoned);
        return pending;
    }

    // The shard's answer that is not given: the question times out.
    private static readonly StreamPosition Unanswered = new(-1, 0);

    private static StreamPosition At(int handed, double unasked = 0) => new(handed, unasked);

    // answer: the shard's (null: no such stream; Unanswered: the question goes unanswered); by default, all arrived and asked for.
    private Task<(bool More, Exception? Lost)> Step(Updates updates, Readings reads, CancellationToken cancellationToken = default, int received = 0,
        Func<StreamPosition?>? answer = null) =>
        StreamWatch.Step(updates, Shard, Host, new ClusterHosts(reads.Read, _time), Look, () => Interlocked.Increment(ref _abandoned), received, () =>
        {
            Interlocked.Increment(ref _asked);
            var position = (answer ?? (() => At(received)))();
            return ReferenceEquals(position, Unanswered)
                ? Task.FromException<StreamPosition?>(new TimeoutException("the shard's silo did not answer"))
                : Task.FromResult(position);
        }, cancellationToken);

    private static IReadOnlyList<HostInfo> OnlyH2(string silo) => [Listed(silo)[1]];

    // The watch asks for its next look; the test grants it when it chooses.
    private Task Look(CancellationToken cancellationToken)
    {
        var look = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cancellationToken.Register(() => look.TrySetCanceled(cancellationToken));
        _looks.Writer.TryWrite(look);
        return look.Task;
    }

    private async Task<TaskCompletionSource> NextLook() => await _looks.Reader.ReadAsync().AsTask().WaitAsync(Limit);

    // Grants the look the watch waits for, with a reading older than ClusterHosts.Fresh: the look reads the hosts anew.
    private async Task Grant()
    {
        var look = await NextLook();
        _time.Advance(ClusterHosts.Fresh);
        look.SetResult();
    }

    private static IReadOnlyList<HostInfo> Listed(string silo) =>
        [new HostInfo("h1", 1, "cpu", 1L << 30, "nvlink-h1", 10, "leaf-0", "S10.0.0.1:1:1", null), new HostInfo(Host, 1, "cpu", 1L << 30, "nvlink-h2", 10, "leaf-0", silo, null)];

    // The topology's answers in turn (null: the call failed), the last repeated.
    private sealed class Readings(params IReadOnlyList<HostInfo>?[] answers)
    {
        private int _count;
        public int Count => Volatile.Read(ref _count);

        public Task<IReadOnlyList<HostInfo>> Read()
        {
            int n = Interlocked.Increment(ref _count) - 1;
            var answer = answers[Math.Min(n, answers.Length - 1)];
            return answer is null ? Task.FromException<IReadOnlyList<HostInfo>>(new TimeoutException("the topology grain did not answer")) : Task.FromResult(answer);
        }
    }

    // A stream whose next step is the given task.
    private sealed class Updates(Task<bool> next) : IAsyncEnumerator<GenerationUpdate>
    {
        public GenerationUpdate Current => Update;
        public ValueTask<bool> MoveNextAsync() => new(next);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
