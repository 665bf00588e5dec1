using BlitzScale.Tests.Shared;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>Synthetic tokenizer.model files load through LlamaTextTokenizer and round-trip text.</summary>
public sealed class SentencePieceModelWriterTests : IDisposable
{
    private const string Ascii = "The quick brown fox jumps over the lazy dog; 42 times, (really)!";
    private const string NonAscii = "Grüße aus Köln — 日本語 🙂";

    private readonly TempDirectory _temp = new();
    private string Folder => _temp.Path;

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(32000)]
    [InlineData(512)]
    [InlineData(300)]
    public void LoadsWithTheRequestedVocabularySize(int vocabSize)
    {
        var tokenizer = WriteAndLoad(vocabSize);
        Assert.Equal(vocabSize, tokenizer.VocabSize);
        Assert.Equal([1], tokenizer.Encode(""));
    }

    [Theory]
    [InlineData(32000)]
    [InlineData(512)]
    [InlineData(300)]
    public void AsciiRoundTrips(int vocabSize)
    {
        var tokenizer = WriteAndLoad(vocabSize);
        var ids = tokenizer.Encode(Ascii);
        Assert.Equal(1, ids[0]);
        Assert.All(ids, id => Assert.InRange(id, 0, vocabSize - 1));
        Assert.Equal(Ascii, tokenizer.Decode(ids));
        var decoder = new StreamingDecoder(tokenizer);
        Assert.Equal(Ascii, string.Concat(ids.Select(decoder.Append)) + decoder.Flush());
    }

    [Theory]
    [InlineData(32000)]
    [InlineData(512)]
    public void AsciiNeedsNoByteFallbackAndMergesWords(int vocabSize)
    {
        var tokenizer = WriteAndLoad(vocabSize);
        var ids = tokenizer.Encode(Ascii, addBos: false);
        Assert.DoesNotContain(ids, IsByteId);
        Assert.True(ids.Length < Ascii.Length, $"{ids.Length} tokens for {Ascii.Length} characters");
    }

    [Theory]
    [InlineData(32000)]
    [InlineData(512)]
    public void NonAsciiRoundTripsThroughByteFallback(int vocabSize)
    {
        var tokenizer = WriteAndLoad(vocabSize);
        var ids = tokenizer.Encode(NonAscii);
        Assert.Contains(ids, IsByteId);
        Assert.Equal(NonAscii, tokenizer.Decode(ids));
        var decoder = new StreamingDecoder(tokenizer);
        Assert.Equal(NonAscii, string.Concat(ids.Select(decoder.Append)) + decoder.Flush());
    }

    [Fact]
    public void IsDeterministic()
    {
        var first = Path.Combine(Folder, "a.model");
        var second = Path.Combine(Folder, "b.model");
        SentencePieceModelWriter.WriteSynthetic(first, 32000);
        SentencePieceModelWriter.WriteSynthetic(second, 32000);
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [Fact]
    public void LaysOutSpecialByteAndNormalPieces()
    {
        var path = Path.Combine(Folder, "tokenizer.model");
        SentencePieceModelWriter.WriteSynthetic(path, 1000);
        var pieces = SentencePieceModelReader.ReadPieces(File.ReadAllBytes(path));
        Assert.Equal(1000, pieces.Length);
        Assert.Equal(new SentencePieceEntry("<unk>", 0, SentencePieceType.Unknown), pieces[0]);
        Assert.Equal(new SentencePieceEntry("<s>", 0, SentencePieceType.Control), pieces[1]);
        Assert.Equal(new SentencePieceEntry("</s>", 0, SentencePieceType.Control), pieces[2]);
        Assert.Equal(new SentencePieceEntry("<0x00>", 0, SentencePieceType.Byte), pieces[3]);
        Assert.Equal(new SentencePieceEntry("<0xFF>", 0, SentencePieceType.Byte), pieces[258]);
        Assert.Equal("\u2581", pieces[259].Piece);
        Assert.Equal("!", pieces[260].Piece);
        Assert.Equal(pieces.Length, pieces.Select(p => p.Piece).Distinct().Count());
        Assert.All(pieces[259..], p => Assert.Equal(SentencePieceType.Normal, p.Type));
        for (var i = 260; i < pieces.Length; i++)
        {
            Assert.True(pieces[i].Score < pieces[i - 1].Score, $"score of piece {i} does not decrease");
        }
    }

    [Theory]
    [InlineData(299)]
    [InlineData(0)]
    [InlineData(-1)]
    public void RejectsTooSmallVocabularies(int vocabSize)
    {
        var path = Path.Combine(Folder, "tokenizer.model");
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SentencePieceModelWriter.WriteSynthetic(path, vocabSize));
        Assert.Equal("vocabSize", error.ParamName);
        Assert.False(File.Exists(path));
    }

    private static bool IsByteId(int id) => id is >= 3 and <= 258;

    private LlamaTextTokenizer WriteAndLoad(int vocabSize)
    {
        SentencePieceModelWriter.WriteSynthetic(Path.Combine(Folder, "tokenizer.model"), vocabSize);
        return LlamaTextTokenizer.Load(Folder, 1, 2);
    }
}
