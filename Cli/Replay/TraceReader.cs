using System.Globalization;
using System.Text.Json;

namespace BlitzScale.Cli.Replay;

/// <summary>
/// Reads a request trace into arrival times (seconds from its first request) and token counts. The format is given or
/// detected from the header; every malformed cell is a <see cref="TraceFileException"/> naming file, line and column.
/// </summary>
internal static class TraceReader
{
    // Azure 2023 writes wall-clock times with up to 7 fractional digits and no zone.
    private static readonly string[] AzureTimeFormats = ["yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:ss"];

    /// <summary>Reads <paramref name="path"/> as <paramref name="format"/>, or as the format its first line names when null.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="TraceFileException">A header, row or cell does not match the format.</exception>
    public static Trace Read(string path, TraceFormat? format = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"trace {path} not found", path);
        using var reader = new StreamReader(path);
        return Read(reader, path, format);
    }

    /// <summary>Reads a trace from <paramref name="reader"/>; <paramref name="path"/> names it in errors.</summary>
    public static Trace Read(TextReader reader, string path, TraceFormat? format = null)
    {
        string? first = reader.ReadLine();
        if (first is null) throw new TraceFileException(path, 1, "(header)", $"a header of {TraceFormats.Names}", "an empty file");
        var detected = format ?? TraceFormats.Detect(first)
            ?? throw new TraceFileException(path, 1, "(header)",
                "an azure header (TIMESTAMP,ContextTokens,GeneratedTokens), a burstgpt header (Timestamp,…,Request tokens,Response tokens,…) " +
                "or a mooncake JSON line; or give --format", first);
        var rows = new List<(double At, TraceRequest Request)>();
        int skipped = 0;
        switch (detected)
        {
            case TraceFormat.Azure:
                long? epoch = null;
                ReadCsv(reader, path, first, ["TIMESTAMP", "ContextTokens", "GeneratedTokens"], (line, cells) =>
                {
                    // Ticks since the first row, so the seconds keep the file's 100 ns precision (ticks since year 1 as a double would not).
                    long ticks = AzureTicks(path, line, cells[0]);
                    epoch ??= ticks;
                    double at = (ticks - epoch.Value) / (double)TimeSpan.TicksPerSecond;
                    rows.Add((at, new TraceRequest(line, 0, Tokens(path, line, "ContextTokens", cells[1]), Tokens(path, line, "GeneratedTokens", cells[2]))));
                });
                break;
            case TraceFormat.BurstGpt:
                ReadCsv(reader, path, first, ["Timestamp", "Request tokens", "Response tokens"], (line, cells) =>
                {
                    double at = Seconds(path, line, "Timestamp", cells[0]);
                    int input = Tokens(path, line, "Request tokens", cells[1]), output = Tokens(path, line, "Response tokens", cells[2]);
                    // BurstGPT logs a failed request as a row of zero tokens: nothing to replay.
                    if (input == 0 || output == 0) skipped++;
                    else rows.Add((at, new TraceRequest(line, 0, input, output)));
                });
                break;
            case TraceFormat.Mooncake:
                ReadJsonLines(reader, path, first, rows);
                break;
        }
        if (rows.Count == 0) throw new TraceFileException(path, 2, "(rows)", "at least one request", "none");
        double origin = rows.Min(r => r.At);
        var requests = rows.OrderBy(r => r.At).ThenBy(r => r.Request.Line)
            .Select(r => r.Request with { AtSeconds = r.At - origin }).ToList();
        return new Trace(path, detected, requests, skipped);
    }

    private static void ReadCsv(TextReader reader, string path, string header, string[] wanted, Action<int, string[]> row)
    {
        var names = header.TrimStart('\uFEFF').Split(',').Select(c => c.Trim()).ToList();
        var index = wanted.Select(w => names.IndexOf(w)).ToArray();
        for (int w = 0; w < wanted.Length; w++)
        {
            if (index[w] < 0) throw new TraceFileException(path, 1, wanted[w], $"a header with columns {string.Join(", ", wanted)}", header);
        }
        int line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0) continue;
            var cells = text.Split(',');
            if (cells.Length < names.Count)
                throw new TraceFileException(path, line, $"{cells.Length + 1}", $"{names.Count} comma-separated columns ({string.Join(",", names)})", text);
            row(line, [.. index.Select(i => cells[i].Trim())]);
        }
    }

    private static void ReadJsonLines(TextReader reader, string path, string first, List<(double At, TraceRequest Request)> rows)
    {
        int line = 0;
        for (string? text = first; text is not null; text = reader.ReadLine())
        {
            line++;
            if (text.Trim().Length == 0) continue;
            JsonElement record;
            try
            {
                using var document = JsonDocument.Parse(text);
                record = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new TraceFileException(path, line, "(record)", $"a JSON object ({e.Message})", text);
            }
            if (record.ValueKind != JsonValueKind.Object) throw new TraceFileException(path, line, "(record)", "a JSON object", text);
            double ms = Number(path, line, record, "timestamp");
            if (ms < 0) throw new TraceFileException(path, line, "timestamp", "milliseconds ≥ 0", ms.ToString(CultureInfo.InvariantCulture));
            rows.Add((ms / 1000, new TraceRequest(line, 0, Count(path, line, record, "input_length"), Count(path, line, record, "output_length"))));
        }
    }

    private static double Number(string path, int line, JsonElement record, string name)
    {
        if (!record.TryGetProperty(name, out var value)) throw new TraceFileException(path, line, name, $"a field \"{name}\"", "none");
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double number))
            throw new TraceFileException(path, line, name, "a number", value.GetRawText());
        return number;
    }

    private static int Count(string path, int line, JsonElement record, string name)
    {
        double number = Number(path, line, record, name);
        if (number < 0 || number != Math.Floor(number) || number > int.MaxValue)
            throw new TraceFileException(path, line, name, "a whole number of tokens ≥ 0", number.ToString(CultureInfo.InvariantCulture));
        return (int)number;
    }

    private static long AzureTicks(string path, int line, string cell)
    {
        if (!DateTime.TryParseExact(cell, AzureTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            throw new TraceFileException(path, line, "TIMESTAMP", "a time like 2023-11-16 18:17:03.9799600", cell);
        return time.Ticks;
    }

    private static double Seconds(string path, int line, string column, string cell)
    {
        if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !double.IsFinite(seconds) || seconds < 0)
            throw new TraceFileException(path, line, column, "seconds ≥ 0", cell);
        return seconds;
    }

    private static int Tokens(string path, int line, string column, string cell)
    {
        if (!int.TryParse(cell, NumberStyles.None, CultureInfo.InvariantCulture, out int tokens))
            throw new TraceFileException(path, line, column, "a whole number of tokens ≥ 0", cell);
        return tokens;
    }
}
