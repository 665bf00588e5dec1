using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace BlitzScale.ScaleCallTiming;

/// <summary>One timed call as a silo logged it: what it was ("scale call", "scale-up", "load call", "host copy"), its total and its steps.</summary>
internal sealed record StepLine(string Kind, string Subject, double Ms, IReadOnlyList<(string Step, double Ms)> Steps);

/// <summary>
/// Keeps the silos' step-time lines (the ones with a "Steps" field: ModelGrain's scale call and scale-up, a shard's load
/// call, a host copy made), read from the logger's structured state rather than parsed from text.
/// </summary>
internal sealed class StepLog : ILoggerProvider
{
    private readonly ConcurrentQueue<StepLine> _lines = new();

    /// <summary>Takes every line logged since the last take.</summary>
    public IReadOnlyList<StepLine> Take()
    {
        var taken = new List<StepLine>();
        while (_lines.TryDequeue(out var line)) taken.Add(line);
        return taken;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(string category, IReadOnlyList<KeyValuePair<string, object?>> state)
    {
        var fields = state.ToDictionary(p => p.Key, p => p.Value);
        if (fields.GetValueOrDefault("Steps") is not string steps || fields.GetValueOrDefault("Ms") is not double ms) return;
        string kind = category switch
        {
            _ when category.EndsWith("LayerShardGrain", StringComparison.Ordinal) => "load call",
            _ when category.EndsWith("HostMemoryGrain", StringComparison.Ordinal) => "host copy",
            _ when fields.ContainsKey("Count") => "scale-up",
            _ => "scale call",
        };
        string subject = (fields.GetValueOrDefault("Shard") ?? fields.GetValueOrDefault("Host") ?? fields.GetValueOrDefault("Model"))?.ToString() ?? "";
        _lines.Enqueue(new StepLine(kind, subject, ms, Parse(steps)));
    }

    // "open files 1.2 ms, tokenizer 30.5 ms" → [("open files", 1.2), ("tokenizer", 30.5)]
    private static List<(string, double)> Parse(string steps) =>
        [.. steps.Split(", ", StringSplitOptions.RemoveEmptyEntries).Select(step =>
        {
            string[] words = step.Split(' ');
            return (string.Join(' ', words[..^2]), double.Parse(words[^2], System.Globalization.CultureInfo.InvariantCulture));
        })];

    private sealed class Logger(StepLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (state is IReadOnlyList<KeyValuePair<string, object?>> fields) log.Add(category, fields);
        }
    }
}
