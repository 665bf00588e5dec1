using System.Globalization;
using System.Text;

namespace BlitzScale.Native.Tokenization;

/// <summary>
/// Id → output text for decoding, following sentencepiece's decoder: control pieces are invisible,
/// U+2581 becomes a space, byte pieces are raw UTF-8 bytes, and the dummy-prefix space of the first
/// piece is dropped.
/// </summary>
internal sealed class PieceTable : ITokenBytes
{
    private const char SpaceSymbol = '\u2581';

    // sentencepiece renders <unk> as TrainerSpec.unk_surface, whose default is " ⁇ ".
    private const string UnknownSurface = " \u2047 ";

    private readonly Kind[] _kinds;
    private readonly byte[][] _utf8;
    private readonly string[] _text;
    private readonly bool _addDummyPrefix;

    public PieceTable(IReadOnlyList<SentencePieceEntry> pieces, int bosId, int eosId, bool addDummyPrefix)
    {
        _addDummyPrefix = addDummyPrefix;
        _kinds = new Kind[pieces.Count];
        _utf8 = new byte[pieces.Count][];
        _text = new string[pieces.Count];
        for (var id = 0; id < pieces.Count; id++)
        {
            var (kind, text) = Classify(pieces[id], id == bosId || id == eosId);
            _kinds[id] = kind;
            _text[id] = text;
            _utf8[id] = kind == Kind.Byte ? [ParseByte(pieces[id].Piece)] : Encoding.UTF8.GetBytes(text);
        }
    }

    private enum Kind
    {
        Invisible,
        Text,
        TextWithLeadingSpace,
        Byte,
    }

    public int Count => _kinds.Length;

    /// <summary>False for control pieces (BOS, EOS, …): they neither print nor end the "at start" state.</summary>
    public bool IsVisible(int id) => _kinds[Check(id)] != Kind.Invisible;

    /// <summary>The UTF-8 bytes token <paramref name="id"/> contributes; <paramref name="atStart"/> drops the dummy-prefix space.</summary>
    public ReadOnlySpan<byte> Utf8(int id, bool atStart)
    {
        var bytes = _utf8[Check(id)].AsSpan();
        return StripsSpace(id, atStart) ? bytes[1..] : bytes;
    }

    /// <summary>
    /// The text of token <paramref name="id"/> on its own. A byte piece is only text when it is ASCII;
    /// any other lone byte is U+FFFD because it cannot be decoded without its neighbours.
    /// </summary>
    public string Text(int id, bool atStart)
    {
        if (_kinds[Check(id)] == Kind.Byte)
        {
            var b = _utf8[id][0];
            return b < 0x80 ? ((char)b).ToString() : "\uFFFD";
        }
        return StripsSpace(id, atStart) ? _text[id][1..] : _text[id];
    }

    private bool StripsSpace(int id, bool atStart) => atStart && _addDummyPrefix && _kinds[id] == Kind.TextWithLeadingSpace;

    private int Check(int id)
    {
        if ((uint)id >= (uint)_kinds.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {_kinds.Length} pieces");
        }
        return id;
    }

    private static (Kind Kind, string Text) Classify(SentencePieceEntry entry, bool isBosOrEos)
    {
        if (isBosOrEos)
        {
            return (Kind.Invisible, "");
        }
        return entry.Type switch
        {
            SentencePieceType.Control => (Kind.Invisible, ""),
            SentencePieceType.Unknown => (Kind.Text, UnknownSurface),
            SentencePieceType.Byte => (Kind.Byte, ""),
            _ => (entry.Piece.StartsWith(SpaceSymbol) ? Kind.TextWithLeadingSpace : Kind.Text, entry.Piece.Replace(SpaceSymbol, ' ')),
        };
    }

    private static byte ParseByte(string piece)
    {
        // Byte pieces are spelled exactly "<0xNN>" with upper-case hex.
        if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }
        throw new InvalidDataException($"byte piece '{piece}' is not of the form <0xNN>");
    }
}
