namespace BlitzScale.Cli.Replay;

/// <summary>One request of a trace: where it is in the file, when it arrived (seconds from the trace's first request) and its token counts.</summary>
/// <param name="Line">Its 1-based line in the file.</param>
/// <param name="AtSeconds">Arrival, seconds after the trace's first arrival.</param>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Generated tokens.</param>
internal sealed record TraceRequest(int Line, double AtSeconds, int InputTokens, int OutputTokens);

/// <summary>A whole trace as read: its requests in arrival order, and the failed requests it logged (skipped).</summary>
/// <param name="Path">The file.</param>
/// <param name="Format">Its format.</param>
/// <param name="Requests">The requests, sorted by arrival (stable: file order among equal times).</param>
/// <param name="SkippedFailed">Rows the trace itself logs as failed (BurstGPT's zero-token rows), left out.</param>
internal sealed record Trace(string Path, TraceFormat Format, IReadOnlyList<TraceRequest> Requests, int SkippedFailed)
{
    /// <summary>Seconds from the first arrival to the last.</summary>
    public double SpanSeconds => Requests.Count == 0 ? 0 : Requests[^1].AtSeconds - Requests[0].AtSeconds;
}
