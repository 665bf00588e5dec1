using BlitzScale.Tests.Shared;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>Load's errors name the file and say what was wrong.</summary>
public sealed class LlamaTextTokenizerLoadTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private string Folder => _temp.Path;

    public void Dispose() => _temp.Dispose();

    private string ModelPath => Path.Combine(Folder, "tokenizer.model");

    [Fact]
    public void MissingFileSaysThisLoaderReadsOnlySentencePiece()
    {
        var error = Assert.Throws<TokenizerException>(() => LlamaTextTokenizer.Load(Folder, 1, 2));
        Assert.Contains(ModelPath, error.Message);
        Assert.Equal(ModelPath, error.FilePath);
        Assert.Contains("only a SentencePiece tokenizer.model", error.Message);
    }

    [Fact]
    public void MissingDirectoryIsTheSameError()
    {
        var missing = Path.Combine(Folder, "absent");
        var error = Assert.Throws<TokenizerException>(() => LlamaTextTokenizer.Load(missing, 1, 2));
        Assert.Contains(Path.Combine(missing, "tokenizer.model"), error.Message);
    }

    [Fact]
    public void A_directory_with_neither_file_names_both()
    {
        var error = Assert.Throws<TokenizerException>(() => TextTokenizer.Open(Folder, 1, 2));
        Assert.Equal(Path.Combine(Folder, "tokenizer.json"), error.FilePath);
        Assert.Contains("tokenizer.model", error.Message);
        Assert.Contains("tokenizer.json", error.Message);
    }

    [Fact]
    public void The_sentencepiece_model_wins_over_a_tokenizer_json_beside_it()
    {
        SentencePieceModelWriter.WriteSynthetic(ModelPath, 300);
        // Malformed on purpose: it must not even be read.
        File.WriteAllText(Path.Combine(Folder, "tokenizer.json"), "{\"version\":\"1.0\"}");
        var tokenizer = Assert.IsType<LlamaTextTokenizer>(TextTokenizer.Open(Folder, 1, 2));
        Assert.Equal(ModelPath, tokenizer.FilePath);
    }

    [Fact]
    public void A_tokenizer_json_alone_is_read_and_its_errors_name_it()
    {
        var json = Path.Combine(Folder, "tokenizer.json");
        File.WriteAllText(json, "{\"version\":\"1.0\"}");
        var error = Assert.Throws<TokenizerException>(() => TextTokenizer.Open(Folder, 1, 2));
        Assert.Equal(json, error.FilePath);
        Assert.Contains("\"model\": missing", error.Message);
    }

    [Fact]
    public void An_empty_file_is_named_as_empty_without_the_library_s_null_reference()
    {
        File.WriteAllBytes(ModelPath, []);
        var error = Assert.Throws<TokenizerException>(() => LlamaTextTokenizer.Load(Folder, 1, 2));
        Assert.Equal($"{ModelPath}: the file is empty (0 bytes): expected a SentencePiece model", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3, 4, 5 })]
    [InlineData(new byte[] { 0x7B, 0x22, 0x76, 0x22, 0x3A, 0x31, 0x7D })] // {"v":1} — a JSON file under the wrong name
    [InlineData(new byte[] { 0x0A, 0x10, 0x0A, 0x05 })] // a piece whose length runs past the end
    public void CorruptFileNamesTheFileAndTheInnerError(byte[] content)
    {
        File.WriteAllBytes(ModelPath, content);
        var error = Assert.Throws<TokenizerException>(() => LlamaTextTokenizer.Load(Folder, 1, 2));
        Assert.Contains(ModelPath, error.Message);
        Assert.Contains("not a valid SentencePiece model", error.Message);
        Assert.DoesNotContain("Object reference", error.Message);
        if (error.InnerException is { } inner and not NullReferenceException)
        {
            Assert.Contains(inner.Message, error.Message);
        }
    }

    [Fact]
    public void SpecialIdsOutsideTheVocabularyAreRejected()
    {
        SentencePieceModelWriter.WriteSynthetic(ModelPath, 300);
        var error = Assert.Throws<TokenizerException>(() => LlamaTextTokenizer.Load(Folder, 1, 300));
        Assert.Contains(ModelPath, error.Message);
        Assert.Contains("eos_id 300", error.Message);
        Assert.Throws<TokenizerException>(() => LlamaTextTokenizer.Load(Folder, -1, 2));
    }

    [Fact]
    public void IsAnIOException()
    {
        var error = Assert.Throws<TokenizerException>(() => LlamaTextTokenizer.Load(Folder, 1, 2));
        Assert.IsAssignableFrom<IOException>(error);
    }
}
