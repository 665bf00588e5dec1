using System.Numerics.Tensors;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Compute.Cpu;

/// <summary>
/// The cpu backend: Llama forward in f32 over weights kept in their file dtype, SIMD through
/// System.Numerics.Tensors and hand-written kernels, matrix work spread over the cores. It is the oracle
/// other backends are tested against, so it reads as one linear story.
/// </summary>
public sealed unsafe class CpuEngine : ILayerEngine
{
    private readonly ParameterImage _image;
    private readonly LayerWeights?[] _layers;
    private readonly Rope _rope;
    private readonly Attention _attention;
    private readonly float _eps;
    private KvCache? _kv;
    private Workspace _ws = new(0, default!);

    /// <summary>An engine over a (possibly partly loaded) parameter image, owning a KV store of <paramref name="kv"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The store does not fit one array per layer.</exception>
    public CpuEngine(ParameterImage image, KvStoreShape kv)
    {
        ArgumentNullException.ThrowIfNull(image);
        _image = image;
        Config = image.Layout.Config;
        _kv = new KvCache(Config, kv);
        KvShape = kv;
        _layers = new LayerWeights?[Config.NumLayers];
        _rope = new Rope(Config);
        _attention = new Attention(Config.NumHeads, Config.NumKvHeads, Config.HeadDim);
        _eps = (float)Config.RmsNormEps;
    }

    /// <inheritdoc/>
    public LlamaConfig Config { get; }

    /// <inheritdoc/>
    public int LoadedLayers => _image.LoadedLayerPrefix;

    /// <inheritdoc/>
    public int LoadedSuffixFrom => _image.LoadedLayerSuffix;

    /// <inheritdoc/>
    public KvStoreShape KvShape { get; }

    /// <summary>The KV store, for tests that compare caches.</summary>
    internal KvCache Kv => _kv ?? throw new ObjectDisposedException(nameof(CpuEngine));

    /// <inheritdoc/>
    public void ReadKv(IReadOnlyList<int> blocks, KvSlice slice, Span<float> destination)
    {
        slice.Check(Config, KvShape, blocks, destination.Length);
        Kv.Read(blocks, slice, destination);
    }

    /// <inheritdoc/>
    public void WriteKv(IReadOnlyList<int> blocks, KvSlice slice, ReadOnlySpan<float> source)
    {
        slice.Check(Config, KvShape, blocks, source.Length);
        Kv.Write(blocks, slice, source);
    }

    /// <inheritdoc/>
    public HiddenStates Embed(ReadOnlySpan<int> tokens)
    {
        RequireBlob(_image.Layout.Embedding.Index, "the embedding");
        var blob = _image.Layout.Embedding;
        var tensor = blob[TensorNames.Embedding];
        var table = new WeightMatrix(_image.TensorPointer(blob, tensor), tensor.DType, Config.VocabSize, Config.HiddenSize);
        var hidden = new HiddenStates(tokens.Length, Config.HiddenSize);
        for (int t = 0; t < tokens.Length; t++)
        {
            if ((uint)tokens[t] >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {tokens[t]} is outside the vocabulary of {Config.VocabSize}");
            table.ReadRow(tokens[t], hidden.Row(t));
        }
        return hidden;
    }

    /// <inheritdoc/>
    public void RunLayers(Batch batch, HiddenStates hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var kv = Kv;
        var groups = LayerGroups.Of(batch, hidden.Tokens, hidden.Width, Config, LoadedLayers, LoadedSuffixFrom, KvShape);
        LayerGroups.Run(groups, hidden, (group, rows) =>
        {
            var ws = WorkspaceFor(group.Batch.TokenCount);
            for (int layer = group.FirstLayer; layer < group.EndLayer; layer++)
                Layer(layer, group.Batch, rows, kv, ws);
        });
    }

    /// <inheritdoc/>
    public float[] Head(Batch batch, HiddenStates hidden)
    {
        var blob = _image.Layout.Head;
        RequireBlob(blob.Index, "the final norm and head");
        int h = Config.HiddenSize, segments = batch.Segments.Count;
        var last = hidden.LastRowOfEachSegment(batch);
        var norm = new float[h];
        var normTensor = blob[TensorNames.FinalNorm];
        new WeightMatrix(_image.TensorPointer(blob, normTensor), normTensor.DType, 1, h).ReadRow(0, norm);
        RmsNorm.Run(last, norm, _eps, segments, last);

        var logits = new float[segments * Config.VocabSize];
        fixed (float* x = last, o = logits)
            MatMul.Run(x, segments, HeadMatrix(), o);
        return logits;
    }

    private WeightMatrix HeadMatrix()
    {
        if (Config.TieWordEmbeddings)
        {
            RequireBlob(_image.Layout.Embedding.Index, "the embedding (tied to the head)");
            var e = _image.Layout.Embedding;
            return new WeightMatrix(_image.TensorPointer(e, e[TensorNames.Embedding]), e[TensorNames.Embedding].DType, Config.VocabSize, Config.HiddenSize);
        }
        var blob = _image.Layout.Head;
        var head = blob[TensorNames.LmHead];
        return new WeightMatrix(_image.TensorPointer(blob, head), head.DType, Config.VocabSize, Config.HiddenSize);
    }

    private void Layer(int layer, Batch batch, HiddenStates hidden, KvCache cache, Workspace ws)
    {
        var w = WeightsOf(layer);
        int tokens = batch.TokenCount, h = Config.HiddenSize;
        int qDim = Config.QueryDim, kvDim = Config.KvDim, qkvWidth = qDim + 2 * kvDim;
        var x = hidden.Data.AsSpan(0, tokens * h);

        // Attention block: x += O · attention(rope(Wqkv · rmsnorm(x)))
        w.InputNorm.ReadRow(0, ws.Norm);
        RmsNorm.Run(x, ws.Norm, _eps, tokens, ws.Normed);
        fixed (float* n = ws.Normed, qkv = ws.Qkv)
            MatMul.Run(n, tokens, w.Qkv, qkv);
        if (w.QkvBias is { } bias)
        {
            bias.ReadRow(0, ws.Bias);
            for (int t = 0; t < tokens; t++)
                TensorPrimitives.Add(ws.Qkv.AsSpan(t * qkvWidth, qkvWidth), ws.Bias.AsSpan(0, qkvWidth), ws.Qkv.AsSpan(t * qkvWidth, qkvWidth));
        }

        var keys = cache.Keys(layer);
        var values = cache.Values(layer);
        int token = 0;
        foreach (var segment in batch.Segments)
        {
            for (int i = 0; i < segment.Count; i++, token++)
            {
                int position = segment.Start + i;
                var row = ws.Qkv.AsSpan(token * qkvWidth, qkvWidth);
                _rope.Apply(row[..qDim], Config.NumHeads, position);
                _rope.Apply(row.Slice(qDim, kvDim), Config.NumKvHeads, position);
                int slot = cache.SlotOffset(segment.Blocks, position);
                row.Slice(qDim, kvDim).CopyTo(keys.Slice(slot, kvDim));
                row.Slice(qDim + kvDim, kvDim).CopyTo(values.Slice(slot, kvDim));
            }
        }
        _attention.Run(ws.Qkv, cache.KeysArray(layer), cache.ValuesArray(layer), cache, batch, ws.AttentionOut);
        fixed (float* a = ws.AttentionOut, p = ws.Projected)
            MatMul.Run(a, tokens, w.O, p);
        TensorPrimitives.Add(x, ws.Projected.AsSpan(0, tokens * h), x);

        // MLP block: x += Wdown · (silu(Wgate · rmsnorm(x)) ⊙ Wup · rmsnorm(x))
        w.PostNorm.ReadRow(0, ws.Norm);
        RmsNorm.Run(x, ws.Norm, _eps, tokens, ws.Normed);
        fixed (float* n = ws.Normed, gu = ws.GateUp)
            MatMul.Run(n, tokens, w.GateUp, gu);
        SwiGlu.Run(ws.GateUp, tokens, Config.IntermediateSize, ws.Activated);
        fixed (float* a = ws.Activated, p = ws.Projected)
            MatMul.Run(a, tokens, w.Down, p);
        TensorPrimitives.Add(x, ws.Projected.AsSpan(0, tokens * h), x);
    }

    /// <summary>Drops the KV store; the image stays the caller's.</summary>
    public void Dispose() => _kv = null;

    private LayerWeights WeightsOf(int layer)
    {
        if (_layers[layer] is { } cached) return cached;
        RequireBlob(_image.Layout.BlobOfLayer(layer), $"layer {layer}");
        var weights = new LayerWeights(_image, layer);
        _layers[layer] = weights;
        return weights;
    }

    private void RequireBlob(int blob, string what)
    {
        if (!_image.IsLoaded(blob))
            throw new InvalidOperationException($"parameters of {what} (blob {blob}) have not arrived on this instance");
    }

    private Workspace WorkspaceFor(int tokens)
    {
        if (_ws.Tokens < tokens) _ws = new Workspace(Math.Max(tokens, _ws.Tokens * 2), Config);
        return _ws;
    }

    /// <summary>Scratch buffers for a batch of up to <see cref="Tokens"/> tokens, reused across steps.</summary>
    private sealed class Workspace
    {
        public Workspace(int tokens, LlamaConfig c)
        {
            Tokens = tokens;
            if (tokens == 0) return;
            int qkv = c.QueryDim + 2 * c.KvDim;
            Norm = new float[c.HiddenSize];
            Bias = new float[qkv];
            Normed = new float[tokens * c.HiddenSize];
            Qkv = new float[tokens * qkv];
            AttentionOut = new float[tokens * c.QueryDim];
            Projected = new float[tokens * c.HiddenSize];
            GateUp = new float[tokens * 2 * c.IntermediateSize];
            Activated = new float[tokens * c.IntermediateSize];
        }

        public int Tokens { get; }
        public float[] Norm { get; } = [];
        public float[] Bias { get; } = [];
        public float[] Normed { get; } = [];
        public float[] Qkv { get; } = [];
        public float[] AttentionOut { get; } = [];
        public float[] Projected { get; } = [];
        public float[] GateUp { get; } = [];
        public float[] Activated { get; } = [];
    }
}
