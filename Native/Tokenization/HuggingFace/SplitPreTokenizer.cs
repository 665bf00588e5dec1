using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BlitzScale.Native.Tokenization.HuggingFace;

/// <summary>
/// tokenizer.json's <c>pre_tokenizer</c> for byte-level BPE: the Split regexes (Llama-3 groups digits by up to three,
/// Qwen2 splits them one by one) applied in order with the "Isolated" behaviour, then ByteLevel, whose own GPT-2
/// regex applies when its <c>use_regex</c> is on. The Oniguruma patterns of these files mean the same on .NET's
/// regex engine, once code points outside the BMP are given to it as one character (see <see cref="WithStandIns"/>).
/// </summary>
internal sealed class SplitPreTokenizer
{
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly Regex[] _patterns;

    private SplitPreTokenizer(Regex[] patterns) => _patterns = patterns;

    /// <summary>The pieces of <paramref name="text"/>, in order; together they are the whole text.</summary>
    public List<string> Split(string text)
    {
        List<string> pieces = [text];
        foreach (var pattern in _patterns)
        {
            var next = new List<string>(pieces.Count * 4);
            foreach (var piece in pieces)
                Isolate(piece, pattern, next);
            pieces = next;
        }
        return pieces;
    }

    public static SplitPreTokenizer Read(JsonField root)
    {
        var field = root.Get("pre_tokenizer");
        if (field.IsNull)
            throw field.NotSupported("no pre_tokenizer (only byte-level BPE tokenizers, with a ByteLevel pre-tokenizer, are supported)");
        var patterns = new List<Regex>();
        var byteLevel = false;
        foreach (var step in Steps(field))
        {
            if (byteLevel)
                throw step.NotSupported("a pre-tokenizer after ByteLevel");
            var type = step.Required("type", JsonValueKind.String, "a pre-tokenizer type").String();
            switch (type)
            {
                case "Split":
                    patterns.Add(ReadSplit(step));
                    break;
                case "ByteLevel":
                    if (step.Get("add_prefix_space").Bool(absent: true))
                        throw step.Get("add_prefix_space").NotSupported("true (set it to false, as Llama-3 and Qwen2 do)");
                    if (step.Get("use_regex").Bool(absent: true))
                        patterns.Add(Compile(step, Gpt2Pattern));
                    byteLevel = true;
                    break;
                default:
                    throw step.Get("type").NotSupported($"pre-tokenizer \"{type}\" (only Split and ByteLevel)");
            }
        }
        if (!byteLevel)
            throw field.NotSupported("a pre_tokenizer without ByteLevel (only byte-level BPE tokenizers are supported)");
        return new SplitPreTokenizer([.. patterns]);
    }

    private static IEnumerable<JsonField> Steps(JsonField field)
    {
        if (field.Kind != JsonValueKind.Object)
            throw field.Expected("an object");
        if (field.Get("type").Kind == JsonValueKind.String && field.Get("type").String() == "Sequence")
            return field.Required("pretokenizers", JsonValueKind.Array, "an array of pre-tokenizers").Items();
        return [field];
    }

    private static Regex ReadSplit(JsonField step)
    {
        var behavior = step.Get("behavior").OptionalString();
        if (behavior != "Isolated")
            throw step.Get("behavior").NotSupported($"{(behavior is null ? "a missing behavior" : $"\"{behavior}\"")} (only \"Isolated\")");
        if (step.Get("invert").Bool(absent: false))
            throw step.Get("invert").NotSupported("true");
        var pattern = step.Required("pattern", JsonValueKind.Object, "{\"Regex\": …} or {\"String\": …}");
        if (!pattern.Get("Regex").IsNull)
            return Compile(pattern.Get("Regex"), pattern.Get("Regex").String());
        if (!pattern.Get("String").IsNull)
            return Compile(pattern.Get("String"), Regex.Escape(pattern.Get("String").String()));
        throw pattern.Expected("{\"Regex\": …} or {\"String\": …}");
    }

    private static Regex Compile(JsonField field, string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException ex)
        {
            throw field.NotSupported($"the pattern is not a .NET regular expression: {ex.Message}");
        }
    }

    private static void Isolate(string text, Regex pattern, List<string> output)
    {
        var (subject, starts) = WithStandIns(text);
        var position = 0;
        for (var match = pattern.Match(subject); match.Success; match = match.NextMatch())
        {
            // Empty matches cut nothing, as in the Rust tokenizers.
            if (match.Length == 0)
                continue;
            int start = starts?[match.Index] ?? match.Index, end = starts?[match.Index + match.Length] ?? match.Index + match.Length;
            if (start > position)
                output.Add(text[position..start]);
            output.Add(text[start..end]);
            position = end;
        }
        if (position < text.Length)
            output.Add(text[position..]);
    }

    /// <summary>
    /// .NET's regex engine sees a surrogate pair as two characters that are neither letters nor digits, where
    /// Oniguruma sees one code point: 𝐀 or 𠀀 would not be \p{L}. So the pattern runs on a copy where each pair is
    /// one BMP character of the same class (letter, number or other; no whitespace is outside the BMP), and
    /// <c>starts</c> maps each of its positions back to the text (null when the text has no pairs).
    /// </summary>
    private static (string Subject, int[]? Starts) WithStandIns(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
            return (text, null);
        var subject = new StringBuilder(text.Length);
        var starts = new List<int>(text.Length + 1);
        for (var i = 0; i < text.Length; i++)
        {
            starts.Add(i);
            if (char.IsSurrogatePair(text, i))
            {
                subject.Append(StandIn(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text[i], text[i + 1]))));
                i++;
            }
            else
            {
                subject.Append(text[i]);
            }
        }
        starts.Add(text.Length);
        return (subject.ToString(), [.. starts]);
    }

    // Stand-ins match what the pair matches in these patterns: \p{L}, \p{N}, or neither (and no literal in them).
    private static char StandIn(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => '\u4E00',
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => '\u0660',
        _ => '\u25A0',
    };
}
