using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>An engine that records every layer pass's segments; the first pass waits until released, holding the device.</summary>
internal sealed class GatedEngine(ILayerEngine inner) : ILayerEngine
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim _gate = new(false);
    private readonly List<IReadOnlyList<BatchSegment>> _batches = [];

    public Task Entered => _entered.Task;

    public IReadOnlyList<IReadOnlyList<BatchSegment>> Batches
    {
        get
        {
            lock (_batches) return [.. _batches];
        }
    }

    public LlamaConfig Config => inner.Config;
    public int LoadedLayers => inner.LoadedLayers;
    public int LoadedSuffixFrom => inner.LoadedSuffixFrom;
    public KvStoreShape KvShape => inner.KvShape;

    public void Release() => _gate.Set();

    public HiddenStates Embed(ReadOnlySpan<int> tokens) => inner.Embed(tokens);

    public void ReadKv(IReadOnlyList<int> blocks, KvSlice slice, Span<float> destination) => inner.ReadKv(blocks, slice, destination);

    public void WriteKv(IReadOnlyList<int> blocks, KvSlice slice, ReadOnlySpan<float> source) => inner.WriteKv(blocks, slice, source);

    public void RunLayers(Batch batch, HiddenStates hidden)
    {
        lock (_batches) _batches.Add([.. batch.Segments]);
        _entered.TrySetResult();
        _gate.Wait();
        inner.RunLayers(batch, hidden);
    }

    public float[] Head(Batch batch, HiddenStates hidden) => inner.Head(batch, hidden);

    public void Dispose() => _gate.Dispose();
}
