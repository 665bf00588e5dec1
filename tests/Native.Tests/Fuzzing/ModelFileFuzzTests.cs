using System.Buffers.Binary;
using System.Text;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Safetensors;
using BlitzScale.Native.Tests.Tokenization;
using BlitzScale.Native.Tokenization;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Native.Tests.Fuzzing;

/// <summary>
/// The model-file parsers on hostile variants of valid files (fixed seeds, a few hundred cases each): every one either
/// loads or throws the documented <see cref="ModelFileException"/> (naming the file), within a time bound and without
/// allocating what a corrupt length field claims. Inputs that once broke a parser live in <c>Fuzzing/Corpus</c> and are
/// replayed by <see cref="CorpusReplayTests"/>.
/// </summary>
public sealed class ModelFileFuzzTests : IDisposable
{
    private const int Cases = 300;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    internal static readonly string ValidSafetensorsHeader =
        """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]}}""";

    /// <summary>A whole valid safetensors file: the 8-byte length prefix, <see cref="ValidSafetensorsHeader"/>, 32 data bytes.</summary>
    internal static byte[] ValidSafetensorsFile()
    {
        var json = Encoding.UTF8.GetBytes(ValidSafetensorsHeader);
        var file = new byte[8 + json.Length + 32];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        return file;
    }

    internal static string ValidConfig() => LlamaConfigWriter.ToJson(SyntheticShapes.Get("tiny"), "float32");

    internal static byte[] ValidSentencePiece(string directory)
    {
        string path = Path.Combine(directory, "valid-tokenizer.model");
        SentencePieceModelWriter.WriteSynthetic(path, 300);
        return File.ReadAllBytes(path);
    }

    internal static string ValidTokenizerJson() => File.ReadAllText(Path.Combine(ReferenceTokenizers.Directory("llama3"), "tokenizer.json"));

    [Fact]
    public void Safetensors_headers_with_any_values_load_or_fail_clearly()
    {
        Fuzz.Run(Mutations.Json(ValidSafetensorsHeader), Cases, seed: 101,
            json => ParseSafetensorsHeader(Encoding.UTF8.GetBytes(json)), IsDocumented, json => json);
    }

    [Fact]
    public void Safetensors_files_with_broken_bytes_and_lengths_load_or_fail_clearly()
    {
        string path = _temp.File("model.safetensors");
        Fuzz.Run(Mutations.Bytes(ValidSafetensorsFile()), Cases, seed: 102, bytes => OpenSafetensors(path, bytes), IsDocumented, Fuzz.Hex);
    }

    [Fact]
    public void Config_json_with_any_values_loads_or_fails_clearly()
    {
        string path = _temp.File("config.json");
        Fuzz.Run(Mutations.Json(ValidConfig()), Cases, seed: 103, json => ReadConfig(path, Encoding.UTF8.GetBytes(json)), IsDocumented, json => json);
        Fuzz.Run(Mutations.Bytes(Encoding.UTF8.GetBytes(ValidConfig())), Cases, seed: 104, bytes => ReadConfig(path, bytes), IsDocumented, Fuzz.Hex);
    }

    [Fact]
    public void Tokenizer_model_with_broken_bytes_loads_or_fails_clearly()
    {
        var valid = ValidSentencePiece(_temp.Path);
        string directory = _temp.File("spm");
        Fuzz.Run(Mutations.Bytes(valid), Cases, seed: 105, bytes => LoadSentencePiece(directory, bytes), IsDocumented, Fuzz.Hex);
    }

    [Fact]
    public void Tokenizer_json_with_any_values_loads_or_fails_clearly()
    {
        string directory = _temp.File("bpe");
        Fuzz.Run(Mutations.Json(ValidTokenizerJson()), 150, seed: 106, json => LoadTokenizerJson(directory, Encoding.UTF8.GetBytes(json)), IsDocumented, json => json);
    }

    /// <summary>What every model-file parser may throw: its documented error, naming the file.</summary>
    internal static bool IsDocumented(Exception e) => e is ModelFileException { FilePath.Length: > 0 };

    internal static void ParseSafetensorsHeader(byte[] json) =>
        SafetensorsHeaderReader.Read("fuzz.safetensors", json, 8 + json.Length + 32);

    internal static void OpenSafetensors(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        using var file = SafetensorsFile.Open(path);
        foreach (var name in file.Tensors.Keys) _ = file.Tensors[name].ByteLength;
    }

    internal static void ReadConfig(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        LlamaConfigReader.Read(path);
    }

    internal static void LoadSentencePiece(string directory, byte[] bytes)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, LlamaTextTokenizer.ModelFileName), bytes);
        var tokenizer = LlamaTextTokenizer.Load(directory, 1, 2);
        tokenizer.Decode(tokenizer.Encode("Hello, fuzz!"));
    }

    internal static void LoadTokenizerJson(string directory, byte[] bytes)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "tokenizer.json"), bytes);
        var tokenizer = ByteLevelBpeTokenizer.Load(directory, 0);
        tokenizer.Decode(tokenizer.Encode("Hello, fuzz!"));
    }
}
