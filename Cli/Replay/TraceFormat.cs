namespace BlitzScale.Cli.Replay;

/// <summary>The request-trace formats <c>blitz replay</c> reads (see ../shared/traces/README.md).</summary>
internal enum TraceFormat
{
    /// <summary>Azure LLM inference 2023: CSV <c>TIMESTAMP,ContextTokens,GeneratedTokens</c>, wall-clock timestamps.</summary>
    Azure,
    /// <summary>BurstGPT: CSV <c>Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type</c>, seconds; zero-token rows are failed requests.</summary>
    BurstGpt,
    /// <summary>Mooncake: JSON lines <c>timestamp</c> (ms), <c>input_length</c>, <c>output_length</c>.</summary>
    Mooncake,
}

/// <summary>The command-line names of <see cref="TraceFormat"/> and the detection from a file's first line.</summary>
internal static class TraceFormats
{
    public const string Names = "azure, burstgpt or mooncake";

    public static TraceFormat Parse(string name, string option = "--format") => name.ToLowerInvariant() switch
    {
        "azure" => TraceFormat.Azure,
        "burstgpt" => TraceFormat.BurstGpt,
        "mooncake" => TraceFormat.Mooncake,
        _ => throw new ArgumentException($"{option}: expected {Names}, found \"{name}\""),
    };

    public static string Name(TraceFormat format) => format.ToString().ToLowerInvariant();

    /// <summary>The format whose header (or, for JSON lines, whose first record) <paramref name="firstLine"/> is; null when none matches.</summary>
    public static TraceFormat? Detect(string firstLine)
    {
        string line = firstLine.Trim().TrimStart('\uFEFF');
        if (line.StartsWith('{') && line.Contains("\"input_length\"", StringComparison.Ordinal)) return TraceFormat.Mooncake;
        var columns = line.Split(',').Select(c => c.Trim()).ToArray();
        if (columns.Contains("TIMESTAMP") && columns.Contains("ContextTokens") && columns.Contains("GeneratedTokens")) return TraceFormat.Azure;
        if (columns.Contains("Timestamp") && columns.Contains("Request tokens") && columns.Contains("Response tokens")) return TraceFormat.BurstGpt;
        return null;
    }
}
