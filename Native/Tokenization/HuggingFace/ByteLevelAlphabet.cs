using System.Text;

namespace BlitzScale.Native.Tokenization.HuggingFace;

/// <summary>
/// GPT-2's byte ↔ character table used by ByteLevel: printable Latin-1 bytes stand for themselves, the other 68
/// bytes for U+0100 onwards (space is 'Ġ', newline 'Ċ'), so every byte string is a string of visible characters.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] CharOfByte = BuildCharOfByte();
    private static readonly Dictionary<char, byte> ByteOfChar = BuildByteOfChar();

    /// <summary>The vocabulary spelling of the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static string Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return string.Create(bytes.Length, bytes, static (chars, b) =>
        {
            for (var i = 0; i < b.Length; i++)
                chars[i] = CharOfByte[b[i]];
        });
    }

    /// <summary>
    /// The bytes a vocabulary token stands for. A character outside the table (only in hand-made vocabularies)
    /// stands for its own UTF-8 bytes, as the Hugging Face decoder treats it.
    /// </summary>
    public static byte[] Decode(string token)
    {
        var bytes = new List<byte>(token.Length);
        Span<byte> scratch = stackalloc byte[4];
        foreach (var rune in token.EnumerateRunes())
        {
            if (rune.IsBmp && ByteOfChar.TryGetValue((char)rune.Value, out var b))
            {
                bytes.Add(b);
            }
            else
            {
                var n = rune.EncodeToUtf8(scratch);
                for (var i = 0; i < n; i++)
                    bytes.Add(scratch[i]);
            }
        }
        return [.. bytes];
    }

    private static char[] BuildCharOfByte()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    private static Dictionary<char, byte> BuildByteOfChar()
    {
        var map = new Dictionary<char, byte>(256);
        for (var b = 0; b < 256; b++)
            map[CharOfByte[b]] = (byte)b;
        return map;
    }
}
