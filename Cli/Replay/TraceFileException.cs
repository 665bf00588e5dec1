namespace BlitzScale.Cli.Replay;

/// <summary>
/// A trace file that cannot be read as its format: the message names the file, the line, the column and what was expected
/// and found. An <see cref="ArgumentException"/>, so the CLI reports it as a usage error (exit 2) without a stack trace.
/// </summary>
internal sealed class TraceFileException(string path, int line, string column, string expected, string found)
    : ArgumentException($"{path}:{line}: column {column}: expected {expected}, found {Quote(found)}")
{
    public string File { get; } = path;
    public int Line { get; } = line;
    public string Column { get; } = column;

    private static string Quote(string found) => found.Length > 60 ? $"\"{found[..60]}…\"" : $"\"{found}\"";
}
