using BlitzScale.Native.Engine;

namespace BlitzScale.Native.Serving;

/// <summary>
/// An engine's prefill speed measured when its instance starts, before any request has run: one sequence prefilled over
/// every layer (embed, the layers, the head), from <see cref="FirstTokens"/> tokens and doubling, until a prefill takes at
/// least <see cref="Enough"/> (long enough to time) or reaches the most tokens allowed, then once more at that size, the
/// faster of the two counted. The first prefill is not counted: it runs cold (code compiled on first use, caches empty), as
/// an instance's first requests do; nor is the first at the timed size when the second is faster, since that size may be
/// the first to take a path of its own (work split over threads, code the runtime has not yet optimized): in a fresh
/// process the first 512-token prefill of stories260K took 2.6 × the second.
/// </summary>
public static class PrefillCalibration
{
    /// <summary>Tokens of the first (uncounted) prefill and the shortest counted one.</summary>
    public const int FirstTokens = 16;

    /// <summary>A prefill at least this long is timed; a shorter one is doubled while the budget allows.</summary>
    public static readonly TimeSpan Enough = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Prompt tokens per second <paramref name="engine"/> prefills, on <paramref name="blocks"/> of its KV store, which must
    /// be free (they are written and left as garbage: a sequence reads only positions it wrote), for at most
    /// <paramref name="maxTokens"/> tokens in one prefill (the step budget; also capped by the blocks and the model's
    /// positions). 0 when fewer than <see cref="FirstTokens"/> tokens fit. Runs on the caller's thread: a device's work
    /// belongs on its <see cref="DeviceExecutor"/>.
    /// </summary>
    /// <param name="engine">An engine holding every layer.</param>
    /// <param name="blocks">Free KV block ids of the engine's store.</param>
    /// <param name="maxTokens">The most tokens one prefill may take.</param>
    /// <param name="time">The clock the prefills are timed on; the system clock when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">The engine does not hold every layer.</exception>
    public static double Measure(ILayerEngine engine, IReadOnlyList<int> blocks, int maxTokens, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        time ??= TimeProvider.System;
        int layers = engine.Config.NumLayers;
        if (engine.LoadedLayers < layers)
            throw new InvalidOperationException($"a prefill is measured on a whole model: {engine.LoadedLayers} of {layers} layers are loaded");
        int most = Math.Min(Math.Min(maxTokens, engine.Config.MaxPositionEmbeddings), blocks.Count * engine.KvShape.BlockSize);
        if (most < FirstTokens) return 0;

        Prefill(engine, blocks, FirstTokens, layers);
        int tokens = FirstTokens;
        while (true)
        {
            var took = Timed(tokens);
            if (took >= Enough || tokens == most)
            {
                // That size once more; the faster of the two counts.
                var again = Timed(tokens);
                if (again < took) took = again;
                return took > TimeSpan.Zero ? tokens / took.TotalSeconds : 0;
            }
            tokens = Math.Min(2 * tokens, most);
        }

        TimeSpan Timed(int count)
        {
            long start = time.GetTimestamp();
            Prefill(engine, blocks, count, layers);
            return time.GetElapsedTime(start);
        }
    }

    private static void Prefill(ILayerEngine engine, IReadOnlyList<int> blocks, int tokens, int layers)
    {
        int vocab = engine.Config.VocabSize;
        var ids = new int[tokens];
        // Any fixed tokens do: the work of a prefill does not depend on them.
        for (int t = 0; t < tokens; t++) ids[t] = (t * 7919 + 1) % vocab;
        var batch = Batch.Single(blocks, 0, tokens, 0, layers);
        var hidden = engine.Embed(ids);
        engine.RunLayers(batch, hidden);
        engine.Head(batch, hidden);
    }
}
