using BlitzScale.Native.Models;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Cli.Commands;

/// <summary>The text of <c>blitz model inspect</c>.</summary>
internal static class ModelReport
{
    public static void Write(ModelDirectory model, TextWriter o)
    {
        var c = model.Config;
        o.WriteLine($"model        {model.Path}");
        o.WriteLine($"architecture {c.Architecture}");
        o.WriteLine($"hidden {c.HiddenSize}, intermediate {c.IntermediateSize}, layers {c.NumLayers}, heads {c.NumHeads}, kv heads {c.NumKvHeads}, head_dim {c.HeadDim}");
        o.WriteLine($"vocab {c.VocabSize}, context {c.MaxPositionEmbeddings}, rms_norm_eps {c.RmsNormEps}, rope_theta {c.RopeTheta}" +
                    (c.RopeScaling is { } s ? $", llama3 rope scaling ×{s.Factor} (original {s.OriginalMaxPositionEmbeddings})" : ""));
        o.WriteLine($"tied embeddings {c.TieWordEmbeddings}, q/k/v bias {c.AttentionBias}, bos {model.Generation.BosTokenId}, eos {model.Generation.EosTokenId}");
        var dtypes = model.Checkpoint.Tensors.Values.GroupBy(t => t.DType).Select(g => $"{g.Key.Name()} × {g.Count()}");
        o.WriteLine($"checkpoint   {model.Checkpoint.Files.Count} file(s), {model.Checkpoint.Tensors.Count} tensors ({string.Join(", ", dtypes)})");
        o.WriteLine();
        o.WriteLine($"{"tensor",-52} {"dtype",-5} {"shape",-16} {"bytes",14}");
        foreach (var t in model.Checkpoint.Tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            o.WriteLine($"{t.Name,-52} {t.DType.Name(),-5} {"[" + string.Join(", ", t.Shape) + "]",-16} {t.ByteLength,14:N0}");
        o.WriteLine();
        var layout = model.Layout;
        o.WriteLine($"parameter image: {layout.Blobs.Count} blobs, {layout.TotalBytes:N0} bytes, blobs aligned to {Native.Models.Image.ImageLayout.BlobAlignment}");
        o.WriteLine($"{"blob",5} {"kind",-9} {"layer",5} {"offset",16} {"bytes",14} tensors");
        foreach (var b in layout.Blobs)
            o.WriteLine($"{b.Index,5} {b.Kind,-9} {(b.Layer >= 0 ? b.Layer.ToString() : "-"),5} {b.Offset,16:N0} {b.ByteLength,14:N0} {b.Tensors.Count}");
        if (layout.NumLayers > 0)
            o.WriteLine($"bytes per layer blob: {layout.Layer(0).ByteLength:N0}; weights read per decoded token: {layout.BytesReadPerToken():N0}");
    }
}
