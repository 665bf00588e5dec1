using BlitzScale.Native.Engine;
using BlitzScale.Native.Tokenization;
using Xunit.Abstractions;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>LlamaTextTokenizer against the stories260K tokenizer and its goldens (skipped, naming the path, without ../shared).</summary>
public sealed class Stories260KTokenizerTests(ITestOutputHelper output)
{
    private const int Bos = 1;
    private const int Eos = 2;

    [SkippableFact]
    public void LoadsVocabularyAndIds()
    {
        var tokenizer = Load();
        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(Bos, tokenizer.BosId);
        Assert.Equal(Eos, tokenizer.EosId);
    }

    [SkippableFact]
    public void EncodeMatchesGoldenPromptIds()
    {
        var tokenizer = Load();
        foreach (var golden in Goldens())
        {
            output.WriteLine($"prompt \"{golden.Prompt}\"");
            Assert.Equal(golden.PromptIds, tokenizer.Encode(golden.Prompt));
            Assert.Equal(golden.PromptIds[1..], tokenizer.Encode(golden.Prompt, addBos: false));
        }
    }

    [SkippableFact]
    public void EmptyPromptIsJustBos()
    {
        var tokenizer = Load();
        Assert.Equal([Bos], tokenizer.Encode(""));
        Assert.Empty(tokenizer.Encode("", addBos: false));
    }

    [SkippableFact]
    public void DecodeMatchesGoldenText()
    {
        var tokenizer = Load();
        foreach (var golden in Goldens())
        {
            output.WriteLine($"prompt \"{golden.Prompt}\"");
            Assert.Equal(golden.Text, tokenizer.Decode(golden.Ids));
        }
    }

    [SkippableFact]
    public void StreamingDecoderMatchesGoldenText()
    {
        var tokenizer = Load();
        foreach (var golden in Goldens())
        {
            output.WriteLine($"prompt \"{golden.Prompt}\"");
            var decoder = new StreamingDecoder(tokenizer);
            var text = string.Concat(golden.Ids.Select(decoder.Append)) + decoder.Flush();
            Assert.Equal(golden.Text, text);
        }
    }

    [SkippableFact]
    public void DecodePieceConcatenationMatchesGoldenText()
    {
        var tokenizer = Load();
        // The goldens are ASCII, so the stateless piece decoder must reproduce them exactly.
        foreach (var golden in Goldens())
        {
            output.WriteLine($"prompt \"{golden.Prompt}\"");
            var text = string.Concat(golden.Ids.Skip(1).Select((id, i) => tokenizer.DecodePiece(golden.Ids[i], id)));
            Assert.Equal(golden.Text, text);
        }
    }

    [SkippableFact]
    public void DecodePieceHandlesLeadingSpaceBytesAndControlTokens()
    {
        var tokenizer = Load();
        var once = tokenizer.Encode("Once", addBos: false).Single();
        Assert.Equal("Once", tokenizer.DecodePiece(Bos, once));
        Assert.Equal(" Once", tokenizer.DecodePiece(once, once));
        Assert.Equal(" Once", tokenizer.DecodePiece(-1, once));
        Assert.Equal("\n", tokenizer.DecodePiece(once, ByteId(0x0A)));
        Assert.Equal(" ", tokenizer.DecodePiece(Bos, ByteId(0x20)));
        Assert.Equal("\uFFFD", tokenizer.DecodePiece(once, ByteId(0xE6)));
        Assert.Equal("", tokenizer.DecodePiece(once, Bos));
        Assert.Equal("", tokenizer.DecodePiece(once, Eos));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.DecodePiece(once, 512));
    }

    [SkippableFact]
    public void DecodeSkipsControlTokensAndStripsOnlyTheFirstDummySpace()
    {
        var tokenizer = Load();
        var once = tokenizer.Encode("Once", addBos: false).Single();
        Assert.Equal("Once", tokenizer.Decode([once]));
        Assert.Equal("Once Once", tokenizer.Decode([Bos, once, Eos, Bos, once, Eos]));
        // A byte-fallback space is real text, not the dummy prefix.
        Assert.Equal("  Once", tokenizer.Decode([Bos, ByteId(0x20), once]));
        Assert.Equal(" \u2047  Once", tokenizer.Decode([Bos, 0, once]));
        Assert.Equal("", tokenizer.Decode([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([Bos, -1]));
    }

    [SkippableFact]
    public void NonAsciiRoundTripsThroughByteFallback()
    {
        var tokenizer = Load();
        const string text = "héllo wörld 日本 🙂";
        var ids = tokenizer.Encode(text);
        Assert.Contains(ids, id => id >= ByteId(0x80) && id <= ByteId(0xFF));
        Assert.Equal(text, tokenizer.Decode(ids));
    }

    private static int ByteId(int value) => 3 + value;

    private static LlamaTextTokenizer Load() => LlamaTextTokenizer.Load(TokenizerTestData.Stories260KDirectory(), Bos, Eos);

    private static IReadOnlyList<GoldenCase> Goldens()
    {
        var goldens = TokenizerTestData.ReadGoldens(TokenizerTestData.Stories260KDirectory());
        Assert.NotEmpty(goldens);
        return goldens;
    }
}
