using System.Text.RegularExpressions;

namespace BlitzScale.Native.Tokenization.HuggingFace;

/// <summary>
/// Cuts the added tokens out of a text before anything else sees it, as Hugging Face tokenizers do: leftmost
/// match first, the longest token when several start there; lstrip/rstrip tokens swallow the whitespace beside them.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Regex? _pattern;
    private readonly Dictionary<string, AddedToken> _byContent;

    public AddedTokenSplitter(IReadOnlyList<AddedToken> tokens)
    {
        _byContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var token in tokens)
            _byContent[token.Content] = token;
        if (_byContent.Count > 0)
        {
            // Alternation tries alternatives in order, so longest first gives the longest match at each position.
            var alternatives = _byContent.Keys.OrderByDescending(k => k.Length).ThenBy(k => k, StringComparer.Ordinal).Select(Regex.Escape);
            _pattern = new Regex(string.Join("|", alternatives), RegexOptions.CultureInvariant);
        }
    }

    /// <summary>The text as consecutive segments: plain text (Token null) and added tokens.</summary>
    public IEnumerable<(int Start, int Length, AddedToken? Token)> Split(string text)
    {
        var position = 0;
        var match = _pattern?.Match(text);
        while (match is { Success: true })
        {
            var token = _byContent[match.Value];
            int start = match.Index, end = match.Index + match.Length;
            if (token.LStrip)
            {
                while (start > position && char.IsWhiteSpace(text[start - 1]))
                    start--;
            }
            if (token.RStrip)
            {
                while (end < text.Length && char.IsWhiteSpace(text[end]))
                    end++;
            }
            if (start > position)
                yield return (position, start - position, null);
            yield return (start, end - start, token);
            position = end;
            match = _pattern!.Match(text, position);
        }
        if (position < text.Length)
            yield return (position, text.Length - position, null);
    }
}
