using System.Diagnostics;
using System.Text.Json.Nodes;
using BlitzScale.Native.Cuda.Engine;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;

namespace BlitzScale.DeviceCheck;

/// <summary>
/// (e) One llama3-8b decoder layer (bf16 synthetic weights; vocabulary cut to 512, which no layer reads) timed through
/// <see cref="CudaEngine.RunLayers(Batch, DeviceHiddenStates)"/> with the hidden states on the device:
/// host time per call after warm-up, so launch overhead and the batch-table upload count, as they do in serving.
/// Prefill of 512 and 2048 tokens (attention by cuBLAS GEMMs, the default from position 0, and again by the tiled
/// kernel), decode of 64 sequences at context 1024; then PyTorch eager on the same card.
/// </summary>
internal static class LayerTiming
{
    /// <summary>The shape the issue names, and the only one <c>torch_layer.py</c> builds.</summary>
    public const string DefaultShape = "llama3-8b";

    private const int Warmup = 3;

    public static JsonObject Run(CheckOptions options)
    {
        int repeats = options.Quick ? 5 : 20;
        // The smallest vocabulary the synthetic tokenizer takes; the layer never reads it.
        var config = SyntheticShapes.Get(options.LayerShape) with { NumLayers = 1, VocabSize = 512 };
        string path = Models.WriteSynthetic(config, DType.BF16);
        var result = new JsonObject();
        try
        {
            using var directory = ModelDirectory.Open(path);
            using var image = directory.LoadImage();
            var (batch, context) = options.LayerDecode;
            // One KV store for every timing, as large as the largest needs; each timing's sequences take ids from 0.
            int blocks = Math.Max(options.LayerPrefill.Select(t => BlocksFor(t)).DefaultIfEmpty(1).Max(), batch * BlocksFor(context + 1));
            using var engine = CudaEngine.Open(directory.Layout, new KvStoreShape(blocks, SequenceRun.BlockSize));
            engine.LoadFrom(image);
            result["shape"] = options.LayerShape;
            foreach (int tokens in options.LayerPrefill)
                result[$"prefill_T{tokens}_ms"] = Time(engine, config, [tokens], 0, repeats);
            result[$"decode_B{batch}_ctx{context}_ms"] = Time(engine, config, Enumerable.Repeat(1, batch).ToArray(), context, repeats);
            // The same prefills with attention in the tiled kernel instead of cuBLAS GEMMs: where the default
            // threshold (GemmAttentionMinTokens) should sit on this card.
            result["gemm_attention_min_tokens"] = engine.GemmAttentionMinTokens;
            engine.GemmAttentionMinTokens = int.MaxValue;
            foreach (int tokens in options.LayerPrefill)
                result[$"prefill_T{tokens}_tiled_attention_ms"] = Time(engine, config, [tokens], 0, repeats);
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }

        if (!options.Torch) return result;
        if (options.LayerShape != DefaultShape)
        {
            result["torch_eager"] = new JsonObject { ["skipped"] = $"torch_layer.py builds {DefaultShape} only" };
            return result;
        }
        var baseline = TorchBaseline.Run();
        result["torch_eager"] = baseline;
        foreach (string key in new[] { "prefill_T512", "prefill_T2048", "decode_B64_ctx1024" })
        {
            if (baseline[$"{key}_ms"] is JsonValue theirs && theirs.TryGetValue(out double t) && result[$"{key}_ms"] is JsonValue ours)
                result[$"ratio_{key}"] = Math.Round(ours.GetValue<double>() / t, 3);
        }
        return result;
    }

    // counts: tokens of each sequence in the timed step; start: its first position (the context already cached).
    private static double Time(CudaEngine engine, LlamaConfig config, int[] counts, int start, int repeats)
    {
        int blocksPer = BlocksFor(start + counts.Max());
        var segments = counts.Select((n, s) => new BatchSegment(Enumerable.Range(s * blocksPer, blocksPer).ToArray(), start, n, 0, 1)).ToArray();
        var batch = new Batch(segments);
        var host = new HiddenStates(batch.TokenCount, config.HiddenSize);
        var random = new Random(7);
        for (int i = 0; i < host.Data.Length; i++) host.Data[i] = (float)(random.NextDouble() - 0.5);
        using var hidden = engine.Upload(host);
        for (int i = 0; i < Warmup; i++) engine.RunLayers(batch, hidden);
        engine.Synchronize();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++) engine.RunLayers(batch, hidden);
        engine.Synchronize();
        return Math.Round(clock.Elapsed.TotalMilliseconds / repeats, 4);
    }

    private static int BlocksFor(int positions) => (positions + SequenceRun.BlockSize - 1) / SequenceRun.BlockSize;
}
