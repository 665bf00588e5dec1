using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>
/// A real engine that can fail any step embedding <see cref="Poison"/>, claim fewer loaded layers, or hold the
/// device at the start of the step after <see cref="HoldAfterSteps"/> until <see cref="Resume"/>, so a test
/// knows exactly which step is executing when it acts.
/// </summary>
internal sealed class TestEngine(ILayerEngine inner) : ILayerEngine
{
    private readonly ManualResetEventSlim _resume = new();
    private int _steps;

    public int? Poison { get; init; }

    public int? Layers { get; init; }

    public int HoldAfterSteps { get; init; } = int.MaxValue;

    public LlamaConfig Config => inner.Config;

    public int LoadedLayers => Layers ?? inner.LoadedLayers;

    public int LoadedSuffixFrom => Layers is null ? inner.LoadedSuffixFrom : Config.NumLayers;

    public KvStoreShape KvShape => inner.KvShape;

    public void Resume() => _resume.Set();

    public HiddenStates Embed(ReadOnlySpan<int> tokens)
    {
        // Bounded so that a broken test fails instead of hanging the run.
        if (Interlocked.Increment(ref _steps) > HoldAfterSteps && !_resume.Wait(TimeSpan.FromSeconds(30)))
            throw new TimeoutException("the test never resumed the engine");
        if (Poison is { } poison && tokens.Contains(poison)) throw new InvalidOperationException("poisoned batch");
        return inner.Embed(tokens);
    }

    public void RunLayers(Batch batch, HiddenStates hidden) => inner.RunLayers(batch, hidden);

    public float[] Head(Batch batch, HiddenStates hidden) => inner.Head(batch, hidden);

    public void ReadKv(IReadOnlyList<int> blocks, KvSlice slice, Span<float> destination) => inner.ReadKv(blocks, slice, destination);

    public void WriteKv(IReadOnlyList<int> blocks, KvSlice slice, ReadOnlySpan<float> source) => inner.WriteKv(blocks, slice, source);

    // The inner engine belongs to the test that made it.
    public void Dispose() => _resume.Dispose();
}
