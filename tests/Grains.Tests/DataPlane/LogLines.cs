using Microsoft.Extensions.Logging;

namespace BlitzScale.Grains.Tests.DataPlane;

/// <summary>A logger that keeps every line it is given, with its level.</summary>
internal sealed class LogLines<T> : ILogger<T>
{
    private readonly List<(LogLevel Level, string Text)> _lines = [];

    public IReadOnlyList<string> At(LogLevel level)
    {
        lock (_lines) return _lines.Where(l => l.Level == level).Select(l => l.Text).ToList();
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines) _lines.Add((logLevel, formatter(state, exception)));
    }
}
