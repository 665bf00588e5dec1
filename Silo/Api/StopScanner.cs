namespace BlitzScale.Silo.Api;

/// <summary>
/// Finds stop strings in streamed text: text is released only once it cannot be the start of a stop string, and the
/// text from the first stop string on is never released (OpenAI trims it).
/// </summary>
internal sealed class StopScanner(IReadOnlyList<string> stops)
{
    private readonly System.Text.StringBuilder _text = new();
    private int _released;

    /// <summary>Whether a stop string was found; no text is taken after it.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds generated text; returns what can be released now.</summary>
    public string Push(string text)
    {
        if (Stopped) return "";
        _text.Append(text);
        if (stops.Count == 0) return Release(_text.Length);
        string all = _text.ToString();
        int longest = stops.Max(s => s.Length);
        // A stop string found now ends in the new text, so it starts at most longest - 1 characters before it.
        int from = Math.Max(0, _released - longest + 1);
        int found = -1;
        foreach (string stop in stops)
        {
            int at = all.IndexOf(stop, from, StringComparison.Ordinal);
            if (at >= 0 && (found < 0 || at < found)) found = at;
        }
        if (found >= 0)
        {
            Stopped = true;
            return Release(Math.Max(found, _released));
        }
        return Release(all.Length - HeldBack(all));
    }

    /// <summary>The rest of the text, at the end of the generation.</summary>
    public string Flush() => Stopped ? "" : Release(_text.Length);

    // The longest end of the text that is the start of a stop string: it may yet become one.
    private int HeldBack(string all)
    {
        int held = 0;
        foreach (string stop in stops)
        {
            for (int length = Math.Min(stop.Length - 1, all.Length - _released); length > held; length--)
            {
                if (all.AsSpan(all.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    held = length;
                    break;
                }
            }
        }
        return held;
    }

    private string Release(int end)
    {
        string released = _text.ToString(_released, end - _released);
        _released = end;
        return released;
    }
}
