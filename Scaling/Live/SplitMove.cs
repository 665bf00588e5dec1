namespace BlitzScale.Scaling.Live;

/// <summary>
/// When a LiveNew moves a split request's keys and values of [0, j) to its LiveOld, which then runs the request whole: the
/// LiveNew's seat and KV blocks free, at the cost of a transfer (positions × j layers × keys and values) over the link into
/// the LiveOld's host and a pause of that request's next token.
/// </summary>
public enum SplitMove
{
    /// <summary>A split request stays split until its last token.</summary>
    Never,
    /// <summary>
    /// When a request waits on the LiveNew for a seat or KV blocks, the split request whose step has just returned moves, so
    /// that the waiting one can start. Without a wait a move would only load the link.
    /// </summary>
    WhenWaiting,
    /// <summary>Every split request moves once its prompt is done (what the tests use to cover every split layer).</summary>
    AfterPrompt,
}

/// <summary>The move rule (<see cref="SplitMove"/>) and its names in configuration, pure.</summary>
public static class SplitMoves
{
    /// <summary>The modes' names in configuration and on command lines, in <see cref="SplitMove"/>'s order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["never", "when-waiting", "after-prompt"];

    /// <summary>The mode named <paramref name="name"/> (<see cref="Names"/>, any case); false for anything else.</summary>
    public static bool TryParse(string? name, out SplitMove mode)
    {
        for (int i = 0; i < Names.Count; i++)
        {
            if (string.Equals(name?.Trim(), Names[i], StringComparison.OrdinalIgnoreCase))
            {
                mode = (SplitMove)i;
                return true;
            }
        }
        mode = SplitMove.Never;
        return false;
    }

    /// <summary>The name of <paramref name="mode"/> in configuration and on command lines.</summary>
    public static string Name(SplitMove mode) => Names[(int)mode];

    /// <summary>The refusal of a name that is none of <see cref="Names"/>, for <paramref name="what"/> (an option or a setting).</summary>
    public static string Refusal(string what, string? name) =>
        $"{what}: expected {string.Join(", ", Names.Take(Names.Count - 1))} or {Names[^1]}, found \"{name}\"";

    /// <summary>
    /// Whether a split request whose step has just returned a token moves now: <paramref name="promptDone"/> says the token is its
    /// first, <paramref name="waiting"/> how many requests wait on the LiveNew for a seat or blocks.
    /// </summary>
    public static bool Due(SplitMove mode, bool promptDone, int waiting) => mode switch
    {
        SplitMove.Never => false,
        SplitMove.WhenWaiting => waiting > 0,
        SplitMove.AfterPrompt => promptDone,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "expected Never, WhenWaiting or AfterPrompt"),
    };
}
