using System.Runtime.CompilerServices;
using BlitzScale.Grains.Serving;
using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>
/// LiveOld hands the waiting requests it cannot seat soon to its live partner and relays their tokens: the callers keep
/// their streams, get exactly the tokens a run alone gives, and cancelling or disposing reaches the partner.
/// </summary>
public sealed class InstanceServerHandoverTests(ServingModelFixture models) : IClassFixture<ServingModelFixture>, IDisposable
{
    private readonly List<CpuEngine> _engines = [];

    public void Dispose()
    {
        foreach (var engine in _engines) engine.Dispose();
    }

    private const string PartnerShard = "partner/0/0";

    // The partner in these tests never has a request to be pulled: only the handover runs.
    private static Task<BlitzScale.Grains.Interfaces.Serving.LivePull?> NoPull() => Task.FromResult<BlitzScale.Grains.Interfaces.Serving.LivePull?>(null);

    private static int[] Prompt(int i) => [1, .. Enumerable.Range(0, 3 + i * 5 % 11).Select(j => 7 + (i * 37 + j * 13) % 500)];

    // One seat: one request runs, the rest wait.
    private InstanceServer Server(DeviceExecutor device, int seats = 1)
    {
        var engine = models.Engine(128);
        _engines.Add(engine);
        return new InstanceServer(engine, new BatchPolicy { KvBlocks = 128, MaxRunningSequences = seats }, device, models.EosId);
    }

    // The device runs nothing until the returned gate opens: the server's first step waits, so every request below is queued first.
    private static TaskCompletionSource Block(DeviceExecutor device)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = device.RunAsync(() => { gate.Task.Wait(); return 0; });
        return gate;
    }

    [Fact]
    public async Task Waiting_requests_beyond_the_running_ones_are_served_by_the_partner_token_for_token()
    {
        var requests = Enumerable.Range(0, 5)
            .Select(i => new ServingRequest($"r{i}", Prompt(i), 6 + i, i == 3 ? new SamplingOptions(0.9f, 0.95f, 40, 77) : SamplingOptions.Greedy, StopAtEos: false))
            .ToArray();
        var alone = requests
            .Select(r => new Generator(models.Model.Engine, models.EosId).Generate(r.PromptIds, new GenerationOptions(r.MaxTokens, r.Sampling, StopAtEos: false)).OutputIds)
            .ToArray();

        using var oldDevice = new DeviceExecutor("handover-old");
        using var newDevice = new DeviceExecutor("handover-new");
        await using var old = Server(oldDevice);
        await using var partner = Server(newDevice, seats: 8);
        var served = new List<string>();
        var gate = Block(oldDevice);
        var streams = requests.Select(r => ServingModelFixture.Collect(old.GenerateAsync(r))).ToArray();
        // Paired only once all five are queued (the device held): paired first, a serve-loop pass between the submissions of
        // r3 and r4 handed r3 over, and r4 could be seated before r3 finished (failed once in a whole-suite run).
        old.PairWith(PartnerShard, NoPull, (request, ct) =>
        {
            lock (served) served.Add(request.Id);
            return partner.GenerateAsync(request, ct);
        });
        gate.SetResult();
        var results = await Task.WhenAll(streams);

        // r0 runs (more than one step) and r1 waits for its seat; of r2, r3 and r4 the newest goes first, one at a time (as many
        // handed out as run), and more follow as long as they still wait when the one before finishes.
        Assert.Contains("r4", served);
        Assert.Subset(new HashSet<string> { "r2", "r3", "r4" }, served.ToHashSet());
        Assert.Equal(served.Count, served.Distinct().Count());
        Assert.Equal(served.Count, old.HandedOver);
        for (int i = 0; i < requests.Length; i++)
            Assert.True(alone[i].SequenceEqual(results[i].Ids), $"request {i}: alone [{string.Join(", ", alone[i])}], served [{string.Join(", ", results[i].Ids)}]");
        Assert.All(results, r => Assert.Equal(ServingFinishReason.Length, r.Finish));
        Assert.Equal((0, 0, 0), (old.Stats.Waiting, old.Stats.Running, old.Stats.KvBlocksUsed));
        Assert.Equal((0, 0, 0), (partner.Stats.Waiting, partner.Stats.Running, partner.Stats.KvBlocksUsed));
    }

    [Fact]
    public async Task When_the_partner_has_loaded_LiveOld_hands_it_half_the_difference_in_open_requests_and_then_no_more()
    {
        var requests = Enumerable.Range(0, 8)
            .Select(i => new ServingRequest($"r{i}", Prompt(i), 4 + i % 3, SamplingOptions.Greedy, StopAtEos: false))
            .ToArray();
        var alone = requests
            .Select(r => new Generator(models.Model.Engine, models.EosId).Generate(r.PromptIds, new GenerationOptions(r.MaxTokens, r.Sampling, StopAtEos: false)).OutputIds)
            .ToArray();

        using var oldDevice = new DeviceExecutor("pair-end-old");
        using var newDevice = new DeviceExecutor("pair-end-new");
        await using var old = Server(oldDevice);
        await using var partner = Server(newDevice, seats: 8);
        old.PairWith(PartnerShard, NoPull, (request, ct) => partner.GenerateAsync(request, ct));

        var gate = Block(oldDevice);
        var streams = requests.Select(r => ServingModelFixture.Collect(old.GenerateAsync(r))).ToArray();
        // While paired, at most as many as it runs (one) went. Eight open here, none on the partner: the pair's end hands over
        // min(8 / 2, the waiting beyond the one seat) = 4 of the 6 or 7 still waiting.
        old.EndPair(openHere: 8, openOnPartner: 0);
        long handed = old.HandedOver;
        Assert.InRange(handed, 4, 5);
        Assert.Null(old.Partner);
        gate.SetResult();
        var results = await Task.WhenAll(streams);

        // Unpaired, it hands over nothing more although requests still wait behind its one seat.
        Assert.Equal(handed, old.HandedOver);
        for (int i = 0; i < requests.Length; i++)
            Assert.True(alone[i].SequenceEqual(results[i].Ids), $"request {i}: alone [{string.Join(", ", alone[i])}], served [{string.Join(", ", results[i].Ids)}]");
        Assert.Equal((0, 0, 0), (old.Stats.Waiting, old.Stats.Running, old.Stats.KvBlocksUsed));
        Assert.Equal((0, 0, 0), (partner.Stats.Waiting, partner.Stats.Running, partner.Stats.KvBlocksUsed));
    }

    [Fact]
    public async Task Cancelling_a_relayed_request_cancels_it_at_the_partner_and_disposing_fails_the_rest_so_they_resume()
    {
        using var device = new DeviceExecutor("handover-cancel");
        // Two seats, both taken by endless requests: of the four waiting, two stay for those seats and the two newest go.
        var old = Server(device, seats: 2);
        var started = new Dictionary<string, TaskCompletionSource>();
        var ended = new Dictionary<string, TaskCompletionSource>();
        foreach (string id in new[] { "r3", "r4" })
        {
            started[id] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            ended[id] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        old.PairWith(PartnerShard, NoPull, (request, ct) => Hanging(request, started[request.Id], ended[request.Id], ct));

        var gate = Block(device);
        using var cancel = new CancellationTokenSource();
        ServingRequest Request(string id, int i, int maxTokens) => new(id, Prompt(i), maxTokens, SamplingOptions.Greedy, StopAtEos: false);
        var own = new[] { Request("r0", 0, 1000), Request("r0b", 5, 1000), Request("r1", 1, 4), Request("r2", 2, 4) }
            .Select(r => ServingModelFixture.Collect(old.GenerateAsync(r))).ToArray();
        var cancelled = ServingModelFixture.Collect(old.GenerateAsync(Request("r3", 3, 4), cancel.Token));
        var disposed = ServingModelFixture.Collect(old.GenerateAsync(Request("r4", 4, 4)));
        gate.SetResult();
        await Task.WhenAll(started["r3"].Task, started["r4"].Task).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, old.HandedOver);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await ended["r3"].Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(ended["r4"].Task.IsCompleted);

        await old.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => disposed);
        await ended["r4"].Task.WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var request in own) await Assert.ThrowsAsync<ObjectDisposedException>(() => request);
        Assert.Equal(2, old.HandedOver);
    }

    [Fact]
    public async Task A_partner_that_fails_under_a_relayed_request_gets_no_more()
    {
        using var device = new DeviceExecutor("handover-failing");
        var old = Server(device);
        Assert.False(old.HandsOver);
        int asked = 0;

        var gate = Block(device);
        ServingRequest Request(string id, int i, int maxTokens) => new(id, Prompt(i), maxTokens, SamplingOptions.Greedy, StopAtEos: false);
        var running = ServingModelFixture.Collect(old.GenerateAsync(Request("r0", 0, 1000)));
        var kept = new[] { Request("r1", 1, 4), Request("r2", 2, 4) }.Select(r => ServingModelFixture.Collect(old.GenerateAsync(r))).ToArray();
        var handed = ServingModelFixture.Collect(old.GenerateAsync(Request("r3", 3, 4)));
        // Paired only once all four are queued: the serve loop hands over on each pass, and paired first, a pass that ran between
        // the submissions of r2 and r3 (a loaded machine, a whole-suite run) handed r2, the newest then, instead of r3.
        old.PairWith(PartnerShard, NoPull, (request, ct) =>
        {
            Interlocked.Increment(ref asked);
            return Failing(ct);
        });
        Assert.True(old.HandsOver);
        gate.SetResult();

        // r3 went (one handed out at a time with one running) and failed there: its caller sees the loss, to resume it.
        var lost = await Assert.ThrowsAsync<Grains.Interfaces.Serving.InstanceLostException>(() => handed);
        Assert.Equal("partner/0/0", lost.Shard);
        // Stopped before the caller heard of the loss, so before the loop could hand r2 over.
        Assert.False(old.HandsOver);
        // r2 would go next; the failed partner gets nothing more, so r1 and r2 stay here until the server is disposed.
        await old.DisposeAsync();
        foreach (var request in kept.Append(running)) await Assert.ThrowsAsync<ObjectDisposedException>(() => request);
        Assert.Equal((1, 1L), (asked, old.HandedOver));
    }

    private static async IAsyncEnumerable<ServedToken> Failing([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        throw new Grains.Interfaces.Serving.InstanceLostException("partner/0/0", "it holds no parameters (Empty)");
#pragma warning disable CS0162 // an iterator needs a yield
        yield break;
#pragma warning restore CS0162
    }

    // A partner that takes the request and never answers; says when it started and when its enumeration ended.
    private static async IAsyncEnumerable<ServedToken> Hanging(ServingRequest request, TaskCompletionSource started, TaskCompletionSource ended,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            yield break;
        }
        finally
        {
            ended.SetResult();
        }
    }
}
