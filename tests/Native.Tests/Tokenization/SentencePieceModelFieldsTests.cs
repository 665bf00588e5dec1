using BlitzScale.Tests.Shared;
using BlitzScale.Native.Tokenization;
using Xunit.Abstractions;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>
/// The hand-written field numbers agree with a real sentencepiece-trained file: every field the writer
/// emits appears in stories260K's tokenizer.model with the same wire type (and, for the specs, value).
/// </summary>
public sealed class SentencePieceModelFieldsTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();
    private string Folder => _temp.Path;

    public void Dispose() => _temp.Dispose();

    [SkippableFact]
    public void ReaderSeesTheStoriesPieceTypes()
    {
        var stories = StoriesModel();
        var pieces = SentencePieceModelReader.ReadPieces(stories);
        Assert.Equal(512, pieces.Length);
        Assert.Equal(new SentencePieceEntry("<unk>", 0, SentencePieceType.Unknown), pieces[0]);
        Assert.Equal(SentencePieceType.Control, pieces[1].Type);
        Assert.Equal(SentencePieceType.Control, pieces[2].Type);
        Assert.Equal(new SentencePieceEntry("<0x00>", 0, SentencePieceType.Byte), pieces[3]);
        Assert.Equal("<0xFF>", pieces[258].Piece);
        Assert.Equal(new SentencePieceEntry("he", -1, SentencePieceType.Normal), pieces[260]);
    }

    [SkippableFact]
    public void SyntheticSpecsMatchTheStoriesSpecs()
    {
        var stories = StoriesModel();
        var path = Path.Combine(Folder, "tokenizer.model");
        SentencePieceModelWriter.WriteSynthetic(path, 512);
        var synthetic = File.ReadAllBytes(path);

        foreach (var spec in new[] { SentencePieceModelFields.ModelTrainerSpec, SentencePieceModelFields.ModelNormalizerSpec })
        {
            var expected = Fields(Submessage(stories, spec));
            var actual = Fields(Submessage(synthetic, spec));
            Assert.NotEmpty(actual);
            foreach (var field in actual)
            {
                output.WriteLine($"spec {spec} field {field.Number}");
                Assert.Contains(field, expected);
            }
        }
    }

    [SkippableFact]
    public void SyntheticPieceFieldsMatchTheStoriesPieceFields()
    {
        var stories = StoriesModel();
        var path = Path.Combine(Folder, "tokenizer.model");
        SentencePieceModelWriter.WriteSynthetic(path, 512);
        var expected = Fields(Submessage(stories, SentencePieceModelFields.ModelPieces)).Select(f => (f.Number, f.WireType));
        var actual = Fields(Submessage(File.ReadAllBytes(path), SentencePieceModelFields.ModelPieces)).Select(f => (f.Number, f.WireType));
        Assert.Equal(expected, actual);
    }

    private static byte[] StoriesModel() =>
        File.ReadAllBytes(Path.Combine(TokenizerTestData.Stories260KDirectory(), "tokenizer.model"));

    /// <summary>The first length-delimited field <paramref name="number"/> of a message.</summary>
    private static byte[] Submessage(byte[] message, int number)
    {
        var reader = new ProtobufReader(message);
        while (reader.TryRead(out var field))
        {
            if (field.Number == number)
            {
                return field.Bytes.ToArray();
            }
        }
        throw new InvalidDataException($"field {number} not found");
    }

    private static List<(int Number, ProtobufWireType WireType, ulong Varint, string Bytes)> Fields(byte[] message)
    {
        var fields = new List<(int, ProtobufWireType, ulong, string)>();
        var reader = new ProtobufReader(message);
        while (reader.TryRead(out var field))
        {
            fields.Add((field.Number, field.WireType, field.Varint, Convert.ToHexString(field.Bytes)));
        }
        return fields;
    }
}
