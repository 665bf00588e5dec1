using System.Runtime.CompilerServices;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Serving;
using BlitzScale.Grains.Tests.Serving;
using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>A LiveOld's requests handed to its partner end as lost when the partner leaves the pair, not at a timeout.</summary>
public sealed class LiveOldHandOverTests : IDisposable
{
    // One running request: of three, one runs, one waits for its seat, and the newest is handed to the partner.
    private static readonly BatchPolicy Policy = new() { MaxBatchTokens = 64, MaxRunningSequences = 1, KvBlocks = 96 };
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly LocalModel _model = LocalModel.Open(RepositoryPaths.ShippedStories260K);
    private readonly IReadOnlyList<GoldenCase> _goldens = GoldenCase.Load(Path.Combine(RepositoryPaths.ShippedStories260K, "goldens.jsonl"));

    [Fact]
    public async Task A_request_handed_to_a_partner_whose_silo_died_ends_as_lost_when_the_partner_is_gone()
    {
        using var device = new DeviceExecutor("live-old");
        var engine = new CpuEngine(_model.Image, new KvStoreShape(Policy.KvBlocks, Policy.BlockSize));
        await using var server = new InstanceServer(engine, Policy, device, _model.Directory.Generation.EosTokenId);
        var handed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The partner's silo died: its stream answers nothing, as a call to a dead silo's grain until the response timeout (30 s).
        async IAsyncEnumerable<ServedToken> Silent(ServingRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            handed.TrySetResult(request.Id);
            await Task.Delay(Timeout.Infinite, cancellationToken);
            yield break;
        }
        server.PairWith("live-new", () => Task.FromResult<LivePull?>(null), Silent);
        var streams = Enumerable.Range(0, 3).Select(i => server.GenerateAsync(
            new ServingRequest($"r{i}", [.. _goldens[0].PromptIds], 200, SamplingOptions.Greedy, StopAtEos: false)).GetAsyncEnumerator()).ToList();
        var firsts = streams.Select(s => s.MoveNextAsync().AsTask()).ToList();
        string id = await handed.Task.WaitAsync(Bound);
        var relayed = firsts[int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture)];

        server.PartnerGone("live-new", new InstanceLostException("live-new", "its silo died"));

        var lost = await Assert.ThrowsAsync<InstanceLostException>(() => relayed.WaitAsync(Bound));
        Assert.Contains("live-new", lost.Message);
        Assert.Null(server.Partner);
        // Stopping the server ends the other two; each enumerator is disposed once its step has ended.
        await server.DisposeAsync();
        for (int i = 0; i < streams.Count; i++)
        {
            await Task.WhenAny(firsts[i]).WaitAsync(Bound);
            await streams[i].DisposeAsync();
        }
    }

    public void Dispose() => _model.Dispose();
}
