using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Cuda;
using BlitzScale.Native.Cuda.Engine;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Tensors;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>
/// The cuda backend on whatever machine runs the tests: without a device, opening it fails with the probe's reason;
/// with one (and ../shared), stories260K through it matches the goldens and the cpu backend. Tests that cannot run
/// on this machine skip, naming what is missing (or, for the no-device test, that a device is present).
/// </summary>
public sealed class CudaEngineTests
{
    [SkippableFact]
    public void Opening_without_a_device_throws_the_probe_reason()
    {
        var probe = CudaRuntime.Probe();
        Skip.If(probe.Available, $"a CUDA device is present ({probe.Reason}): the no-device branch cannot be taken here");
        var layout = TinyLayout();
        var error = Assert.Throws<CudaUnavailableException>(() => CudaEngine.Open(layout, new KvStoreShape(1, 16)));
        Assert.StartsWith("no CUDA device: ", error.Message);
        Assert.Equal(probe.Reason, error.Message);
    }

    [Fact]
    public void A_head_dimension_the_kernels_cannot_hold_is_refused_before_touching_the_device()
    {
        var layout = TinyLayout(c => c with { HeadDim = 6, NumHeads = 4 });
        var error = Assert.Throws<NotSupportedException>(() => CudaEngine.Open(layout, new KvStoreShape(1, 16)));
        Assert.Contains("head dimension", error.Message);
    }

    [SkippableFact]
    public void Stories260K_greedy_equals_the_goldens_on_a_device()
    {
        string model = RequireDeviceAndStories260K();
        using var directory = ModelDirectory.Open(model);
        using var image = directory.LoadImage();
        using var engine = CudaEngine.Open(directory.Layout, LocalModel.ContextStore(directory.Config));
        engine.LoadFrom(image);
        Assert.Equal(directory.Config.NumLayers, engine.LoadedLayers);
        var generator = new Generator(engine, directory.Generation.EosTokenId);
        // The prompts are short: the default sends them to the tiled kernel, 2 to the GEMM attention.
        foreach (int gemmFrom in new[] { CudaEngine.DefaultGemmAttentionMinTokens, 2 })
        {
            engine.GemmAttentionMinTokens = gemmFrom;
            foreach (var golden in GoldenCase.Load(Path.Combine(model, "goldens.jsonl")))
            {
                var result = generator.Generate(golden.PromptIds, new GenerationOptions(MaxTokens: golden.Steps + 1 - golden.PromptIds.Length, StopAtEos: false));
                int[] ids = [.. result.PromptIds, .. result.OutputIds];
                Assert.Equal(golden.Ids, ids);
            }
        }
    }

    [SkippableFact]
    public void Logits_match_the_cpu_backend_and_splits_are_bit_identical_on_a_device()
    {
        string model = RequireDeviceAndStories260K();
        using var directory = ModelDirectory.Open(model);
        using var image = directory.LoadImage();
        var kv = new KvStoreShape(4, 16);
        using var engine = CudaEngine.Open(directory.Layout, kv);
        engine.LoadFrom(image);
        using var cpu = new CpuEngine(image, kv);
        var config = directory.Config;
        int layers = config.NumLayers;
        int[] prompt = [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315];

        float[] Run(ILayerEngine e, int split)
        {
            var batch = Batch.Single([0], 0, prompt.Length, 0, layers);
            var hidden = e.Embed(prompt);
            e.RunLayers(batch.WithLayers(0, split), hidden);
            e.RunLayers(batch.WithLayers(split, layers), hidden);
            return e.Head(batch, hidden);
        }

        float[] expected = Run(cpu, layers);
        float[] whole = Run(engine, layers);
        Assert.All(expected.Zip(whole), pair => Assert.True(Math.Abs(pair.First - pair.Second) < 1e-3f, $"{pair.First} vs {pair.Second}"));
        for (int k = 0; k < layers; k++)
            Assert.Equal(whole, Run(engine, k));
    }

    [SkippableFact]
    public void Keys_and_values_read_and_written_by_slice_match_the_cpu_and_a_moved_split_decodes_whole_on_a_device()
    {
        string model = RequireDeviceAndStories260K();
        using var directory = ModelDirectory.Open(model);
        using var image = directory.LoadImage();
        var kv = new KvStoreShape(16, 4);
        using var engine = CudaEngine.Open(directory.Layout, kv);
        engine.LoadFrom(image);
        using var cpu = new CpuEngine(image, kv);
        var config = directory.Config;
        int layers = config.NumLayers, k = layers / 2, vocab = config.VocabSize;
        int[] prompt = [1, 403, 407, 261, 378, 432, 383, 286, 261, 376];
        float[] Prefill(ILayerEngine e, List<int> blocks, int first, int end, HiddenStates hidden)
        {
            var batch = new Batch([new BatchSegment(blocks, 0, prompt.Length, first, end)]);
            e.RunLayers(batch, hidden);
            return e.Head(batch, hidden);
        }
        float[] Decode(List<int> blocks, int position, int token)
        {
            var hidden = engine.Embed([token]);
            var batch = new Batch([new BatchSegment(blocks, position, 1, 0, layers)]);
            engine.RunLayers(batch, hidden);
            return engine.Head(batch, hidden);
        }

        // The whole prompt's keys and values, read out of each store through different blocks, agree.
        var all = new KvSlice(prompt.Length, 0, layers);
        List<int> cpuBlocks = [0, 1, 2], whole = [9, 2, 14, 5];
        Prefill(cpu, cpuBlocks, 0, layers, cpu.Embed(prompt));
        var expected = Prefill(engine, whole, 0, layers, engine.Embed(prompt));
        var fromCpu = new float[all.Floats(config)];
        var fromDevice = new float[all.Floats(config)];
        cpu.ReadKv(cpuBlocks, all, fromCpu);
        engine.ReadKv(whole, all, fromDevice);
        float tolerance = 1e-3f * Math.Max(1, fromCpu.Max(Math.Abs));
        Assert.All(fromCpu.Zip(fromDevice), p => Assert.True(Math.Abs(p.First - p.Second) <= tolerance, $"kv: cuda {p.Second} vs cpu {p.First}"));

        // Split at k through other blocks, then [0, k) moved into the tail's blocks: it decodes whole as the whole run does.
        List<int> head = [3, 6, 1], tail = [11, 7, 13, 4];
        var hidden = engine.Embed(prompt);
        Prefill(engine, head, 0, k, hidden);
        var split = Prefill(engine, tail, k, layers, hidden);
        Assert.Equal(expected, split);
        var slice = new KvSlice(prompt.Length, 0, k);
        var moved = new float[slice.Floats(config)];
        engine.ReadKv(head, slice, moved);
        engine.WriteKv(tail, slice, moved);
        int next = Sampler.ArgMax(expected.AsSpan(0, vocab));
        for (int position = prompt.Length; position < prompt.Length + 4; position++)
        {
            var wholeLogits = Decode(whole, position, next);
            Assert.Equal(wholeLogits, Decode(tail, position, next));
            next = Sampler.ArgMax(wholeLogits.AsSpan(0, vocab));
        }
        var back = new float[moved.Length];
        engine.ReadKv(tail, slice, back);
        Assert.Equal(moved, back);
    }

    [SkippableFact]
    public void A_batch_mixing_layer_ranges_matches_the_cpu_on_a_device()
    {
        string model = RequireDeviceAndStories260K();
        using var directory = ModelDirectory.Open(model);
        using var image = directory.LoadImage();
        var kv = new KvStoreShape(8, 16);
        using var engine = CudaEngine.Open(directory.Layout, kv);
        engine.LoadFrom(image);
        using var cpu = new CpuEngine(image, kv);
        int layers = directory.Config.NumLayers, k = layers / 2;
        int[] tokens = [1, 403, 407, 261, 378, 1, 298, 315, 286, 261, 376, 7, 1, 432, 383, 1, 9];
        // All layers; a LiveNew's prefix [0, k); a LiveOld's rest [k, L); no layer at all (its rows must come back as
        // they went in). The groups' rows interleave, so the device gathers and scatters them.
        var batch = new Batch(
        [
            new BatchSegment([0], 0, 5, 0, layers),
            new BatchSegment([1], 0, 7, 0, k),
            new BatchSegment([2], 0, 3, k, layers),
            new BatchSegment([3], 0, 2, k, k),
        ]);

        (float[] Hidden, float[] Logits) Run(ILayerEngine e)
        {
            var hidden = e.Embed(tokens);
            e.RunLayers(batch, hidden);
            return (hidden.Data, e.Head(batch, hidden));
        }

        var (cpuHidden, cpuLogits) = Run(cpu);
        var (cudaHidden, cudaLogits) = Run(engine);
        float tolerance = 1e-3f * Math.Max(1, cpuHidden.Max(Math.Abs));
        Assert.All(cpuHidden.Zip(cudaHidden), p => Assert.True(Math.Abs(p.First - p.Second) <= tolerance, $"hidden: cuda {p.Second} vs cpu {p.First}"));
        Assert.All(cpuLogits.Zip(cudaLogits), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-3f, $"logits: cuda {p.Second} vs cpu {p.First}"));
        var embedded = engine.Embed(tokens).Data;
        int width = directory.Config.HiddenSize;
        Assert.Equal(embedded.AsSpan(15 * width, 2 * width).ToArray(), cudaHidden.AsSpan(15 * width, 2 * width).ToArray());
    }

    [SkippableFact]
    public void Gemm_attention_agrees_with_the_tiled_kernel_and_the_cpu_on_a_device()
    {
        string model = RequireDeviceAndStories260K();
        using var directory = ModelDirectory.Open(model);
        using var image = directory.LoadImage();
        var kv = new KvStoreShape(16, 16);
        using var engine = CudaEngine.Open(directory.Layout, kv);
        engine.LoadFrom(image);
        var config = directory.Config;
        // stories260K has 8 query heads over 4 KV heads: each GEMM batch is a group of 2. Two fresh prompts (both
        // take the GEMM path) and a decode step after them (the tiled decode kernel reads the keys the prefill cached).
        int[][] prompts = [[.. Enumerable.Range(0, 45).Select(i => 1 + (i * 37) % 500)], [1, 403, 407, 261, 378, 432, 383, 286]];

        float[][] Run(ILayerEngine e)
        {
            // Prompt 0 (46 positions) owns blocks 0-2, prompt 1 block 3.
            int[][] tables = [[0, 1, 2], [3]];
            var prefill = new Batch([.. prompts.Select((p, i) => new BatchSegment(tables[i], 0, p.Length, 0, config.NumLayers))]);
            var hidden = e.Embed([.. prompts.SelectMany(p => p)]);
            e.RunLayers(prefill, hidden);
            float[] first = e.Head(prefill, hidden);
            var decode = new Batch([.. prompts.Select((p, i) => new BatchSegment(tables[i], p.Length, 1, 0, config.NumLayers))]);
            var next = e.Embed([7, 9]);
            e.RunLayers(decode, next);
            return [first, e.Head(decode, next)];
        }

        engine.GemmAttentionMinTokens = 2;
        var byGemm = Run(engine);
        engine.GemmAttentionMinTokens = int.MaxValue;
        var tiled = Run(engine);
        using var cpuEngine = new CpuEngine(image, kv);
        var cpu = Run(cpuEngine);
        for (int step = 0; step < 2; step++)
        {
            Assert.All(byGemm[step].Zip(tiled[step]), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-4f, $"gemm {p.First} vs tiled {p.Second}"));
            Assert.All(byGemm[step].Zip(cpu[step]), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-3f, $"gemm {p.First} vs cpu {p.Second}"));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.GemmAttentionMinTokens = 1);
    }

    [SkippableTheory]
    [InlineData(DType.F32)]
    [InlineData(DType.BF16)]
    public void A_llama3_shaped_layer_matches_the_cpu_on_a_device(DType dtype)
    {
        var probe = CudaRuntime.Probe();
        Skip.IfNot(probe.Available, probe.Reason);
        // llama3-8b's head dimension (128, the kernels' largest), query group (4), RoPE scaling and theta, at a width
        // and depth small enough for any device, and for the emulator.
        var config = SyntheticShapes.Get("llama3-8b") with
        {
            HiddenSize = 1024, NumHeads = 8, NumKvHeads = 2, HeadDim = 128, IntermediateSize = 512, NumLayers = 2, VocabSize = 512,
            BosTokenId = 1, EosTokenId = 2,
        };
        using var temp = new TempDirectory();
        SyntheticModelWriter.Write(temp.Path, config, dtype, seed: 11);
        using var directory = ModelDirectory.Open(temp.Path);
        using var image = directory.LoadImage();
        var kv = new KvStoreShape(8, 16);
        using var engine = CudaEngine.Open(directory.Layout, kv);
        engine.LoadFrom(image);
        int[] prompt = [.. Enumerable.Range(0, 40).Select(i => 3 + (i * 29) % 500)];

        float[] Run(ILayerEngine e)
        {
            int[] blocks = [0, 1, 2];
            var prefill = Batch.Single(blocks, 0, prompt.Length, 0, config.NumLayers);
            var hidden = e.Embed(prompt);
            e.RunLayers(prefill, hidden);
            var decode = Batch.Single(blocks, prompt.Length, 1, 0, config.NumLayers);
            var next = e.Embed([5]);
            e.RunLayers(decode, next);
            return [.. e.Head(prefill, hidden), .. e.Head(decode, next)];
        }

        using var cpuEngine = new CpuEngine(image, kv);
        float[] cpu = Run(cpuEngine);
        float largest = cpu.Max(Math.Abs);
        // f32 runs as the cpu does up to summation order; bf16 rounds each GEMM's input to bf16 (and TF32 scores).
        float tolerance = dtype == DType.F32 ? 1e-3f * Math.Max(1, largest) : 0.03f * largest;
        foreach (int gemmFrom in new[] { 2, int.MaxValue })
        {
            engine.GemmAttentionMinTokens = gemmFrom;
            float[] cuda = Run(engine);
            Assert.All(cuda.Zip(cpu), p => Assert.True(Math.Abs(p.First - p.Second) <= tolerance, $"cuda {p.First} vs cpu {p.Second} (attention by GEMM from {gemmFrom} tokens)"));
        }
    }

    /// <summary>The stories260K directory; skips the test, saying why, without a device or without ../shared.</summary>
    private static string RequireDeviceAndStories260K()
    {
        var probe = CudaRuntime.Probe();
        Skip.IfNot(probe.Available, probe.Reason);
        return SharedData.RequireStories260K();
    }

    private static ImageLayout TinyLayout(Func<LlamaConfig, LlamaConfig>? change = null)
    {
        var config = SyntheticShapes.Get("tiny");
        if (change is not null) config = change(config);
        return ImageLayout.Build(config, name => (DType.F32, ShapeOf(config, name)), "synthetic");
    }

    private static IReadOnlyList<long> ShapeOf(LlamaConfig c, string name)
    {
        int h = c.HiddenSize;
        if (name.EndsWith("embed_tokens.weight", StringComparison.Ordinal) || name.StartsWith("lm_head", StringComparison.Ordinal)) return [c.VocabSize, h];
        if (name.EndsWith("norm.weight", StringComparison.Ordinal)) return [h];
        if (name.EndsWith("q_proj.weight", StringComparison.Ordinal)) return [c.QueryDim, h];
        if (name.EndsWith("k_proj.weight", StringComparison.Ordinal) || name.EndsWith("v_proj.weight", StringComparison.Ordinal)) return [c.KvDim, h];
        if (name.EndsWith("o_proj.weight", StringComparison.Ordinal)) return [h, c.QueryDim];
        if (name.EndsWith("down_proj.weight", StringComparison.Ordinal)) return [h, c.IntermediateSize];
        return [c.IntermediateSize, h];
    }
}
