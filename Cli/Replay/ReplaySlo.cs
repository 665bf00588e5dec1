namespace BlitzScale.Cli.Replay;

/// <summary>
/// The service-level objectives a request is held to: its time to first token, and its mean time between tokens. A request
/// attains them when it ended ok within both (a one-token request has no gaps and is held to the TTFT alone).
/// </summary>
internal sealed record ReplaySlo(double TtftMs, double TbtMs)
{
    /// <summary>Default TTFT objective, ms of wall clock (a timed run stretches every time by its dilation: scale the objectives with it).</summary>
    public const double DefaultTtftMs = 1000;
    /// <summary>Default objective on a request's mean time between tokens, ms of wall clock.</summary>
    public const double DefaultTbtMs = 200;

    /// <exception cref="ArgumentException">An objective is not a positive number.</exception>
    public static ReplaySlo Of(double ttftMs, double tbtMs)
    {
        if (!(ttftMs > 0) || !double.IsFinite(ttftMs)) throw new ArgumentException($"--ttft-slo-ms must be > 0, found {ttftMs}");
        if (!(tbtMs > 0) || !double.IsFinite(tbtMs)) throw new ArgumentException($"--tbt-slo-ms must be > 0, found {tbtMs}");
        return new ReplaySlo(ttftMs, tbtMs);
    }

    /// <summary>Whether <paramref name="request"/> ended ok within both objectives.</summary>
    public bool Attained(ReplayRequest request) =>
        request.TtftS is { } ttft && Ms(ttft) <= TtftMs && (request.MeanTbtS is not { } tbt || Ms(tbt) <= TbtMs);

    // To the ns, so a time that equals the objective is not failed by a subtraction's last bit.
    private static double Ms(double seconds) => Math.Round(seconds * 1e3, 6);
}
