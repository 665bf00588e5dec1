namespace BlitzScale.Native.Models.Image;

/// <summary>A tensor a config implies: its Hugging Face name and shape.</summary>
internal readonly record struct TensorShape(string Name, long[] Shape);

/// <summary>The tensors of one blob, in groups packed back to back (see <see cref="ImageLayout"/>).</summary>
internal sealed record BlobSpec(BlobKind Kind, int Layer, IReadOnlyList<TensorShape[]> Groups);

/// <summary>Which tensors, of which shapes, a Llama-family config implies, blob by blob. The one list both the layout and the synthetic-model writer use.</summary>
internal static class ModelTensors
{
    public static IEnumerable<BlobSpec> Blobs(LlamaConfig config)
    {
        int h = config.HiddenSize;
        yield return new BlobSpec(BlobKind.Embedding, -1, [[new(TensorNames.Embedding, [config.VocabSize, h])]]);
        for (int layer = 0; layer < config.NumLayers; layer++)
            yield return new BlobSpec(BlobKind.Layer, layer, LayerGroups(config, layer));
        List<TensorShape[]> head = [[new(TensorNames.FinalNorm, [h])]];
        if (!config.TieWordEmbeddings)
            head.Add([new(TensorNames.LmHead, [config.VocabSize, h])]);
        yield return new BlobSpec(BlobKind.Head, -1, head);
    }

    public static IEnumerable<TensorShape> All(LlamaConfig config) =>
        Blobs(config).SelectMany(b => b.Groups).SelectMany(g => g);

    private static List<TensorShape[]> LayerGroups(LlamaConfig config, int layer)
    {
        string N(string suffix) => TensorNames.Layer(layer, suffix);
        int h = config.HiddenSize, q = config.QueryDim, kv = config.KvDim, i = config.IntermediateSize;
        List<TensorShape[]> groups =
        [
            [new(N(TensorNames.InputNorm), [h])],
            [new(N(TensorNames.Q), [q, h]), new(N(TensorNames.K), [kv, h]), new(N(TensorNames.V), [kv, h])],
        ];
        if (config.AttentionBias)
            groups.Add([new(N(TensorNames.QBias), [q]), new(N(TensorNames.KBias), [kv]), new(N(TensorNames.VBias), [kv])]);
        groups.Add([new(N(TensorNames.O), [h, q])]);
        groups.Add([new(N(TensorNames.PostNorm), [h])]);
        groups.Add([new(N(TensorNames.Gate), [i, h]), new(N(TensorNames.Up), [i, h])]);
        groups.Add([new(N(TensorNames.Down), [h, i])]);
        return groups;
    }
}
