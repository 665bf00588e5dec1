using BlitzScale.Tests.Shared;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>StreamingDecoder reassembles byte-fallback characters and agrees with Decode.</summary>
public sealed class StreamingDecoderTests : IDisposable
{
    private const int Bos = 1;
    private const int Eos = 2;

    private readonly TempDirectory _temp = new();
    private string Folder => _temp.Path;
    private readonly LlamaTextTokenizer _tokenizer;

    public StreamingDecoderTests()
    {
        SentencePieceModelWriter.WriteSynthetic(Path.Combine(Folder, "tokenizer.model"), 512);
        _tokenizer = LlamaTextTokenizer.Load(Folder, Bos, Eos);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void MultiByteCharacterComesOutWhenItsLastByteArrives()
    {
        // 🙂 is F0 9F 99 82: four byte tokens, text only on the fourth.
        var decoder = new StreamingDecoder(_tokenizer);
        Assert.Equal("", decoder.Append(Bos));
        Assert.Equal("", decoder.Append(ByteId(0xF0)));
        Assert.Equal("", decoder.Append(ByteId(0x9F)));
        Assert.Equal("", decoder.Append(ByteId(0x99)));
        Assert.Equal("🙂", decoder.Append(ByteId(0x82)));
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void FirstVisibleTokenLosesItsDummySpace()
    {
        var ids = _tokenizer.Encode("hi there", addBos: false);
        var decoder = new StreamingDecoder(_tokenizer);
        Assert.Equal("", decoder.Append(Bos));
        var first = decoder.Append(ids[0]);
        Assert.False(first.StartsWith(' '), $"\"{first}\" starts with a space");
        Assert.Equal("hi there", first + string.Concat(ids[1..].Select(decoder.Append)) + decoder.Flush());
    }

    [Fact]
    public void FlushReplacesADanglingCharacterAndResets()
    {
        var decoder = new StreamingDecoder(_tokenizer);
        Assert.Equal("", decoder.Append(ByteId(0xE6)));
        Assert.Equal("\uFFFD", decoder.Flush());
        var ids = _tokenizer.Encode("again");
        Assert.Equal("again", string.Concat(ids.Select(decoder.Append)) + decoder.Flush());
    }

    [Theory]
    [InlineData(new[] { 0xE6, -1, 0xE6, 0x97, 0xA5 })]
    [InlineData(new[] { 0xFF, 0x41, 0xC3 })]
    [InlineData(new[] { 0xF0, 0x9F, -1, 0x82, 0xC3, 0xA9 })]
    [InlineData(new[] { 0x80, 0x80, 0xED, 0xA0, 0x80 })]
    public void AgreesWithDecodeOnInvalidAndSplitSequences(int[] bytes)
    {
        // -1 stands for a word token between the bytes.
        var word = _tokenizer.Encode("a", addBos: false).Single();
        int[] ids = [Bos, .. bytes.Select(b => b < 0 ? word : ByteId(b)), Eos];
        var decoder = new StreamingDecoder(_tokenizer);
        var streamed = string.Concat(ids.Select(decoder.Append)) + decoder.Flush();
        Assert.Equal(_tokenizer.Decode(ids), streamed);
        Assert.Contains('\uFFFD', streamed);
    }

    [Fact]
    public void RejectsIdsOutsideTheVocabulary()
    {
        var decoder = new StreamingDecoder(_tokenizer);
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Append(512));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Append(-1));
    }

    private static int ByteId(int value) => 3 + value;
}
