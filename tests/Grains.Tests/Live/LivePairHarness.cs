using System.Collections.Concurrent;
using BlitzScale.Grains.Serving;
using BlitzScale.Grains.Serving.Live;
using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Live;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>
/// A live pair in one process, on the cpu engine: LiveOld serves stories260K from a full image; LiveNew's image is empty and the
/// test lands its blobs one at a time (<see cref="Land"/>), so every split point is reached on purpose. The partner link calls
/// LiveOld's server directly and records every split step (the grid's link moves the same work over the data plane).
/// </summary>
internal sealed class LivePairHarness : IAsyncDisposable, ILivePartner
{
    private readonly LocalModel _model;
    private readonly DeviceExecutor _oldDevice = new("live-old");
    private readonly DeviceExecutor _newDevice = new("live-new");
    private readonly CpuEngine _oldEngine;
    private readonly CpuEngine _newEngine;
    private InstanceServer? _full;

    /// <param name="oldPolicy">LiveOld's batching limits; <paramref name="policy"/>'s when null.</param>
    public LivePairHarness(LocalModel model, BatchPolicy policy, ZigZagOptions? options = null, BatchPolicy? oldPolicy = null)
    {
        _model = model;
        Policy = policy;
        oldPolicy ??= policy;
        _oldEngine = new CpuEngine(model.Image, new KvStoreShape(oldPolicy.KvBlocks, oldPolicy.BlockSize));
        Old = new InstanceServer(_oldEngine, oldPolicy, _oldDevice, model.Directory.Generation.EosTokenId);
        Image = ParameterImage.Allocate(model.Image.Layout);
        _newEngine = new CpuEngine(Image, new KvStoreShape(policy.KvBlocks, policy.BlockSize));
        NewBlocks = new KvBlockAllocator(policy.KvBlocks, policy.BlockSize);
        int layers = model.Image.Layout.Config.NumLayers;
        New = new LiveServer(_newEngine, policy, _newDevice, model.Directory.Generation.EosTokenId, NewBlocks, options ?? new ZigZagOptions(),
            TimeProvider.System, this, () => Image.IsComplete ? layers : Math.Min(Image.LoadedLayerPrefix, layers - 1));
        Old.PairWith(PartnerShard, () => Task.FromResult(New.HandOver(0)), handOff: null);
    }

    /// <summary>The LiveNew side's name at LiveOld.</summary>
    public const string PartnerShard = "live-new";

    /// <summary>The LiveOld's shard key, as the LiveNew knows its partner.</summary>
    public string Shard => "live-old";

    public BatchPolicy Policy { get; }
    public InstanceServer Old { get; }
    public LiveServer New { get; }
    public ParameterImage Image { get; }
    public KvBlockAllocator NewBlocks { get; }

    /// <summary>The full server LiveNew starts once its image is complete (<see cref="FinishLoading"/>).</summary>
    public InstanceServer Full => _full ?? throw new InvalidOperationException("the load has not finished");

    /// <summary>Every split step LiveOld ran: request, first row, rows, split layer.</summary>
    public ConcurrentQueue<(string Request, int Start, int Count, int Layer)> SplitSteps { get; } = new();

    /// <summary>Requests whose end LiveOld was told of.</summary>
    public ConcurrentQueue<string> Ended { get; } = new();

    /// <summary>Lands blob <paramref name="blob"/> (0: embedding, 1..L: layers, L+1: head) in LiveNew's image.</summary>
    public void Land(int blob)
    {
        _model.Image.BlobBytes(blob).CopyTo(Image.BlobBytes(blob));
        Image.MarkLoaded(blob);
        New.LayersLanded();
    }

    /// <summary>Lands the embedding and the first <paramref name="layers"/> layers.</summary>
    public void LandLayers(int layers)
    {
        for (int blob = 0; blob <= layers; blob++)
        {
            if (!Image.IsLoaded(blob)) Land(blob);
        }
    }

    /// <summary>Lands the rest and does what the shard does then: closes the live server and starts the full one on the same blocks.</summary>
    public void FinishLoading()
    {
        for (int blob = 0; blob < Image.Layout.Blobs.Count; blob++)
        {
            if (!Image.IsLoaded(blob)) Land(blob);
        }
        _full = new InstanceServer(_newEngine, Policy, _newDevice, _model.Directory.Generation.EosTokenId, NewBlocks);
        New.Close();
    }

    /// <summary>LiveOld is gone: every split step fails as a call to a dead silo's grain does.</summary>
    public bool PartnerLost { get; set; }

    /// <summary>Decode steps of this request (not its prompt's) wait for <see cref="ReleaseHeld"/> before they run (and are counted in <see cref="SplitSteps"/>).</summary>
    public string? Holding { get; set; }
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the held request's split steps run.</summary>
    public void ReleaseHeld() => _held.TrySetResult();

    /// <summary>The split step of this request's prompt (its first) waits for <see cref="ReleasePrompt"/> before it runs.</summary>
    public string? HoldingPrompt { get; set; }
    private readonly TaskCompletionSource _promptHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the held prompt's split step run.</summary>
    public void ReleasePrompt() => _promptHeld.TrySetResult();

    public async Task<int> RunSplitAsync(SplitWork work, CancellationToken cancellationToken)
    {
        if (HoldingPrompt == work.RequestId && work.Start == 0) await _promptHeld.Task.WaitAsync(cancellationToken);
        if (Holding == work.RequestId && work.Start > 0) await _held.Task.WaitAsync(cancellationToken);
        return await RunSplitNow(work, cancellationToken);
    }

    private Task<int> RunSplitNow(SplitWork work, CancellationToken cancellationToken)
    {
        if (PartnerLost) return Task.FromException<int>(new TaskCanceledException());
        SplitSteps.Enqueue((work.RequestId, work.Start, work.Count, work.FirstLayer));
        // The rows are copied as the data plane would deliver them: LiveOld never shares LiveNew's arrays.
        var hidden = work.Hidden is null ? null : HiddenStates.FromBytes(work.Hidden.ToBytes());
        return Old.RunSplitAsync(work with { Hidden = hidden }).WaitAsync(cancellationToken);
    }

    /// <summary>Every move of a request's keys and values to LiveOld: request, positions, split layer.</summary>
    public ConcurrentQueue<(string Request, int Positions, int Layer)> Moves { get; } = new();

    /// <summary>Moves fail as a broken link's would (the request stays split).</summary>
    public bool MovesFail { get; set; }

    /// <summary>Moves wait for <see cref="ReleaseMoves"/> before LiveOld takes them; <see cref="MoveArrived"/> completes when one is waiting.</summary>
    public bool HoldMoves { get; set; }
    private readonly TaskCompletionSource _movesReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _moveArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task MoveArrived => _moveArrived.Task;

    public void ReleaseMoves() => _movesReleased.TrySetResult();

    public async Task MoveKvAsync(MovedKv move, CancellationToken cancellationToken)
    {
        if (PartnerLost) throw new TaskCanceledException();
        if (MovesFail) throw new InvalidOperationException("the test's link refuses moves");
        // Copied as the data plane would deliver them.
        var kv = HiddenStates.FromBytes(move.Kv.ToBytes());
        if (HoldMoves)
        {
            _moveArrived.TrySetResult();
            await _movesReleased.Task.WaitAsync(cancellationToken);
        }
        await Old.TakeOverSplitAsync(move.RequestId, move.Slice, kv).WaitAsync(cancellationToken);
        Moves.Enqueue((move.RequestId, move.Slice.Positions, move.Slice.EndLayer));
    }

    /// <summary>LiveNew's silo died: LiveOld is never told that a request ended.</summary>
    public bool Silent { get; set; }

    public Task EndSplitAsync(string requestId)
    {
        Ended.Enqueue(requestId);
        if (!Silent) Old.EndSplit(requestId);
        return Task.CompletedTask;
    }

    public void Offer(int blocked) => Old.Offered(blocked);

    public async ValueTask DisposeAsync()
    {
        await New.DisposeAsync();
        if (_full is not null) await _full.DisposeAsync();
        await Old.DisposeAsync();
        _newEngine.Dispose();
        _oldEngine.Dispose();
        Image.Dispose();
        _newDevice.Dispose();
        _oldDevice.Dispose();
    }
}
