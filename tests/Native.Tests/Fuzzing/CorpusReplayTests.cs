using BlitzScale.Tests.Shared;

namespace BlitzScale.Native.Tests.Fuzzing;

/// <summary>
/// Every input that once broke a parser, kept in <c>Fuzzing/Corpus/&lt;target&gt;/</c> and replayed: it must now load or fail
/// with the documented error, in bounded time and memory. A new crash found by the fuzz tests is fixed and its input
/// added here (the folder names the parser).
/// </summary>
public sealed class CorpusReplayTests : IDisposable
{
    public static readonly string Folder = Path.Combine(RepositoryPaths.Root, "tests", "Native.Tests", "Fuzzing", "Corpus");
    private readonly TempDirectory _temp = new();
    private readonly Transport.SharedMemoryDirectory _sockets = new();

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (string target in Directory.GetDirectories(Folder).Order(StringComparer.Ordinal))
        {
            foreach (string file in Directory.GetFiles(target).Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(target), Path.GetFileName(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void A_kept_input_loads_or_fails_clearly(string target, string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Folder, target, name));
        Action parse = target switch
        {
            "config.json" => () => ModelFileFuzzTests.ReadConfig(_temp.File("config.json"), bytes),
            "tokenizer.json" => () => ModelFileFuzzTests.LoadTokenizerJson(_temp.File("bpe"), bytes),
            "tokenizer.model" => () => ModelFileFuzzTests.LoadSentencePiece(_temp.File("spm"), bytes),
            "safetensors" => () => ModelFileFuzzTests.OpenSafetensors(_temp.File("model.safetensors"), bytes),
            "safetensors-header" => () => ModelFileFuzzTests.ParseSafetensorsHeader(bytes),
            // A shared-memory server's replies after the handshake, from a server without chunk MACs.
            "shm-replies" => () => SharedMemoryFuzzTests.FetchFromLiarAsync(_sockets.Path, Transport.TransportImages.Layout(), _ => bytes, macs: false).GetAwaiter().GetResult(),
            _ => throw new InvalidOperationException($"corpus folder \"{target}\" names no parser; expected config.json, tokenizer.json, tokenizer.model, safetensors, safetensors-header or shm-replies"),
        };
        Assert.Null(Fuzz.Check(parse, target == "shm-replies" ? SharedMemoryFuzzTests.IsDocumented : ModelFileFuzzTests.IsDocumented));
    }

    [Fact]
    public void The_corpus_holds_the_kept_crashes() => Assert.NotEmpty(Inputs());

    public void Dispose()
    {
        _temp.Dispose();
        _sockets.Dispose();
    }
}
