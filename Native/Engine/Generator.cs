using System.Diagnostics;
using BlitzScale.Native.Sampling;

namespace BlitzScale.Native.Engine;

/// <summary>
/// Generates one sequence on one engine holding all layers: prefill the prompt in one step, then decode
/// token by token. The grid's batching scheduler drives the same engine API for many sequences. The one sequence
/// owns the engine's KV blocks 0, 1, 2, … (it is alone on the engine, so it needs no allocator).
/// </summary>
public sealed class Generator(ILayerEngine engine, int eosId)
{
    /// <summary>Positions per KV block of the engines made for local generation (<see cref="LocalModel"/>); the grid's batch policy uses the same.</summary>
    public const int DefaultBlockSize = 16;

    /// <summary>Runs a generation; <paramref name="onToken"/> sees each token as it is produced.</summary>
    /// <exception cref="ArgumentException">The prompt is empty or prompt plus max tokens exceed the model's context or the engine's KV store.</exception>
    public GenerationResult Generate(IReadOnlyList<int> promptIds, GenerationOptions options, Action<int>? onToken = null, CancellationToken cancellationToken = default)
    {
        var config = engine.Config;
        if (promptIds.Count == 0)
            throw new ArgumentException("the prompt has no tokens (it should start with BOS)", nameof(promptIds));
        if (options.MaxTokens < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxTokens, "max tokens must be ≥ 0");
        int total = promptIds.Count + options.MaxTokens;
        if (total > config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"the model's context is {config.MaxPositionEmbeddings} tokens, but {total} were requested " +
                $"({promptIds.Count} in the prompt, {options.MaxTokens} to generate)", nameof(promptIds));
        }
        if (engine.LoadedLayers < config.NumLayers)
            throw new InvalidOperationException($"only {engine.LoadedLayers} of {config.NumLayers} layers are loaded");

        var sampler = new Sampler(options.Sampling ?? SamplingOptions.Greedy);
        var kv = engine.KvShape;
        if (total > kv.Positions)
        {
            throw new ArgumentException(
                $"the engine's KV store holds {kv.Positions} positions ({kv.Blocks} blocks of {kv.BlockSize}), but {total} were requested " +
                $"({promptIds.Count} in the prompt, {options.MaxTokens} to generate)", nameof(promptIds));
        }
        int[] blocks = Enumerable.Range(0, (total + kv.BlockSize - 1) / kv.BlockSize).ToArray();
        int length = 0;

        var output = new List<int>(options.MaxTokens);
        var clock = Stopwatch.StartNew();
        double firstMs = 0;
        var finish = FinishReason.Length;
        int[] step = promptIds.ToArray();
        while (output.Count < options.MaxTokens)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = Batch.Single(blocks, length, step.Length, 0, config.NumLayers);
            var hidden = engine.Embed(step);
            engine.RunLayers(batch, hidden);
            var logits = engine.Head(batch, hidden);
            length += step.Length;
            int next = sampler.Sample(logits);
            if (output.Count == 0) firstMs = clock.Elapsed.TotalMilliseconds;
            if (options.StopAtEos && next == eosId)
            {
                finish = FinishReason.Eos;
                break;
            }
            output.Add(next);
            onToken?.Invoke(next);
            step = [next];
        }
        double endMs = clock.Elapsed.TotalMilliseconds;
        double rate = output.Count > 1 ? (output.Count - 1) / ((endMs - firstMs) / 1000.0) : 0;
        return new GenerationResult(promptIds.ToArray(), output.ToArray(), firstMs, rate, finish);
    }
}
