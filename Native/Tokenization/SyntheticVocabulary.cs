namespace BlitzScale.Native.Tokenization;

/// <summary>
/// The deterministic piece list behind <see cref="SentencePieceModelWriter.WriteSynthetic"/>, laid out
/// like a Llama tokenizer: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, 256 byte pieces, then NORMAL pieces.
/// </summary>
internal static class SyntheticVocabulary
{
    public const int UnknownId = 0;
    public const int BosId = 1;
    public const int EosId = 2;
    public const int FirstNormalId = 3 + 256;

    /// <summary>Below this not even the single printable characters fit after the byte pieces; 300 keeps a margin.</summary>
    public const int MinimumSize = 300;

    private const char SpaceSymbol = '\u2581';
    private const string Lowercase = "abcdefghijklmnopqrstuvwxyz";

    public static SentencePieceEntry[] Create(int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, MinimumSize);
        var pieces = new List<SentencePieceEntry>(vocabSize)
        {
            new("<unk>", 0, SentencePieceType.Unknown),
            new("<s>", 0, SentencePieceType.Control),
            new("</s>", 0, SentencePieceType.Control),
        };
        for (var b = 0; b < 256; b++)
        {
            pieces.Add(new($"<0x{b:X2}>", 0, SentencePieceType.Byte));
        }
        using var normal = NormalPieces().GetEnumerator();
        while (pieces.Count < vocabSize && normal.MoveNext())
        {
            // Higher score = merged earlier by BPE; decreasing scores make earlier (shorter) pieces win.
            pieces.Add(new(normal.Current, -(pieces.Count - FirstNormalId), SentencePieceType.Normal));
        }
        return [.. pieces];
    }

    private static IEnumerable<string> NormalPieces()
    {
        yield return SpaceSymbol.ToString();
        for (var c = '!'; c <= '~'; c++)
        {
            yield return c.ToString();
        }
        for (var c = 'A'; c <= 'Z'; c++)
        {
            yield return $"{SpaceSymbol}{c}";
        }
        for (var c = 'a'; c <= 'z'; c++)
        {
            yield return $"{SpaceSymbol}{c}";
        }
        // Lower-case words of length 2, 3, … each with and without the word-start marker; endless, so any
        // vocabulary size can be filled.
        for (var length = 2; ; length++)
        {
            foreach (var word in Words(length))
            {
                yield return word;
                yield return SpaceSymbol + word;
            }
        }
    }

    private static IEnumerable<string> Words(int length)
    {
        var digits = new int[length];
        var chars = new char[length];
        while (true)
        {
            for (var i = 0; i < length; i++)
            {
                chars[i] = Lowercase[digits[i]];
            }
            yield return new string(chars);
            var position = length - 1;
            while (position >= 0 && ++digits[position] == Lowercase.Length)
            {
                digits[position--] = 0;
            }
            if (position < 0)
            {
                yield break;
            }
        }
    }
}
