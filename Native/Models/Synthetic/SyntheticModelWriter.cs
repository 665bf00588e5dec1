using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Safetensors;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Native.Models.Synthetic;

/// <summary>
/// Writes a Hugging Face model directory with seeded random weights of a real shape: config.json,
/// generation_config.json, model.safetensors and a synthetic SentencePiece tokenizer.model. The weights
/// carry no knowledge, so the text it generates is not language; the shapes, bytes and compute are real,
/// which is what benchmarks and transfer tests need.
/// </summary>
public static class SyntheticModelWriter
{
    // Values are uniform with this standard deviation (as Hugging Face initialises Llama); norms are 1.
    private const float WeightStd = 0.02f;
    private const int ChunkElements = 1 << 20;

    /// <summary>The files <see cref="Write"/> writes (and overwrites) in its directory.</summary>
    public static IReadOnlyList<string> Files { get; } = ["config.json", "generation_config.json", "tokenizer.model", "model.safetensors"];

    /// <summary>Writes the model into <paramref name="directory"/> (created if needed). The same arguments give byte-identical files.</summary>
    public static void Write(string directory, LlamaConfig config, DType dtype, ulong seed)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), LlamaConfigWriter.ToJson(config, TorchName(dtype)));
        File.WriteAllText(Path.Combine(directory, "generation_config.json"),
            $"{{\n  \"bos_token_id\": {config.BosTokenId ?? GenerationConfig.DefaultBos},\n  \"eos_token_id\": {config.EosTokenId ?? GenerationConfig.DefaultEos}\n}}\n");
        SentencePieceModelWriter.WriteSynthetic(Path.Combine(directory, "tokenizer.model"), config.VocabSize);

        var tensors = ModelTensors.All(config).ToList();
        var specs = tensors.Select(t => new TensorSpec(t.Name, dtype, t.Shape)).ToList();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["blitzscale.synthetic_seed"] = seed.ToString() };
        using var writer = new SafetensorsWriter(Path.Combine(directory, "model.safetensors"), specs, metadata);
        var values = new float[ChunkElements];
        var bytes = new byte[ChunkElements * dtype.Size()];
        foreach (var tensor in tensors)
        {
            long count = tensor.Shape.Aggregate(1L, (a, b) => a * b);
            bool isNorm = tensor.Shape.Length == 1 && tensor.Name.EndsWith("norm.weight", StringComparison.Ordinal);
            ulong tensorSeed = seed ^ XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(tensor.Name));
            for (long start = 0, chunk = 0; start < count; start += ChunkElements, chunk++)
            {
                int n = (int)Math.Min(ChunkElements, count - start);
                Fill(values.AsSpan(0, n), isNorm, tensorSeed + (ulong)chunk * 0x9E3779B97F4A7C15UL);
                int written = Encode(values.AsSpan(0, n), dtype, bytes);
                writer.Write(bytes.AsSpan(0, written));
            }
        }
        writer.Complete();
    }

    private static void Fill(Span<float> values, bool isNorm, ulong seed)
    {
        if (isNorm)
        {
            values.Fill(1.0f);
            return;
        }
        var random = new SeededRandom(seed);
        float amplitude = WeightStd * MathF.Sqrt(3.0f);
        for (int i = 0; i < values.Length; i++)
            values[i] = (random.NextSingle() * 2 - 1) * amplitude;
    }

    private static int Encode(ReadOnlySpan<float> values, DType dtype, Span<byte> bytes)
    {
        for (int i = 0; i < values.Length; i++)
        {
            switch (dtype)
            {
                case DType.F32: BinaryPrimitives.WriteSingleLittleEndian(bytes[(i * 4)..], values[i]); break;
                case DType.F16: BinaryPrimitives.WriteHalfLittleEndian(bytes[(i * 2)..], (Half)values[i]); break;
                case DType.BF16: BinaryPrimitives.WriteUInt16LittleEndian(bytes[(i * 2)..], Dtype.SingleToBf16(values[i])); break;
            }
        }
        return values.Length * dtype.Size();
    }

    private static string TorchName(DType dtype) => dtype switch
    {
        DType.F32 => "float32",
        DType.F16 => "float16",
        _ => "bfloat16",
    };
}
