using System.Text;

namespace BlitzScale.Native.Tokenization;

/// <summary>
/// Turns generated token ids into text one token at a time. Unlike
/// <see cref="TextTokenizer.DecodePiece"/> it keeps state, so a character split over several
/// byte tokens comes out whole once its last byte arrives. The concatenation of all
/// <see cref="Append"/> results and <see cref="Flush"/> equals <see cref="TextTokenizer.Decode"/>
/// of the same ids. Not thread-safe: use one per sequence.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly ITokenBytes _pieces;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];
    private bool _atStart = true;

    /// <summary>Creates a decoder for a new sequence.</summary>
    public StreamingDecoder(TextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _pieces = tokenizer.Tokens;
    }

    /// <summary>The text completed by token <paramref name="id"/>; "" while a multi-byte character is incomplete.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    public string Append(int id)
    {
        var text = Convert(_pieces.Utf8(id, _atStart), flush: false);
        _atStart &= !_pieces.IsVisible(id);
        return text;
    }

    /// <summary>Ends the sequence: returns U+FFFD for a dangling incomplete character and resets for a new sequence.</summary>
    public string Flush()
    {
        var text = Convert([], flush: true);
        _utf8.Reset();
        _atStart = true;
        return text;
    }

    private string Convert(ReadOnlySpan<byte> bytes, bool flush)
    {
        // GetCharCount does not change the decoder's state, so it is safe to size the buffer first.
        var count = _utf8.GetCharCount(bytes, flush);
        if (count > _chars.Length)
        {
            _chars = new char[Math.Max(count, _chars.Length * 2)];
        }
        var written = _utf8.GetChars(bytes, _chars, flush);
        return written == 0 ? "" : new string(_chars, 0, written);
    }
}
