namespace BlitzScale.Cli.Commands;

/// <summary>
/// What <c>blitz generate</c> prints of the prompt before its continuation: the prompt when short, else its first
/// <see cref="MaxChars"/> characters and a note of how many were left out (a 100 KB prompt is not printed back whole).
/// </summary>
internal static class PromptEcho
{
    public const int MaxChars = 200;

    public static string Of(string prompt)
    {
        if (prompt.Length <= MaxChars) return prompt;
        // Never cut a surrogate pair in two.
        int cut = char.IsHighSurrogate(prompt[MaxChars - 1]) ? MaxChars - 1 : MaxChars;
        return $"{prompt[..cut]}… [{prompt.Length - cut:N0} more characters of the prompt not shown]";
    }
}
