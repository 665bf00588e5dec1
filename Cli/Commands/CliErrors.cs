using System.CommandLine;
using BlitzScale.Native;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// Turns the errors a user can cause into one readable line and exit code 2, and cluster faults (a silo gone, a host
/// without a silo, a call timed out, no gateway) and file faults (a full disk, a permission) into one line and exit code 1 —
/// never a stack trace.
/// </summary>
internal static class CliErrors
{
    public const int Failure = 1;
    public const int UserError = 2;

    public static async Task<int> Run(Func<Task<int>> action, TextWriter? stderr = null)
    {
        stderr ??= Console.Error;
        try
        {
            return await action();
        }
        catch (Exception e) when (e is ModelFileException or ArgumentException or DirectoryNotFoundException or FileNotFoundException or InvalidOperationException or KeyNotFoundException)
        {
            await stderr.WriteLineAsync($"blitz: error: {OneLine(e)}");
            return UserError;
        }
        catch (Exception e) when (ClusterFaults.Describe(e) is { } fault)
        {
            await stderr.WriteLineAsync($"blitz: error: {fault}");
            return Failure;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file the command reads or writes failed under it (a full disk, a folder removed, a permission): not the
            // user's typing, so exit 1, but still one line.
            await stderr.WriteLineAsync($"blitz: error: {e.Message}");
            return Failure;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("blitz: cancelled");
            return 130;
        }
    }

    public static int Run(Func<int> action) => Run(() => Task.FromResult(action())).GetAwaiter().GetResult();

    /// <summary>
    /// A command line that does not parse (unknown option, a value of the wrong type, a missing required option): its
    /// first error on one line and where to read the usage, exit code 2.
    /// </summary>
    public static int Usage(ParseResult parse, TextWriter stderr)
    {
        var path = new List<string>();
        for (var command = parse.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (command.Command is not RootCommand) path.Insert(0, command.Command.Name);
        }
        string help = string.Join(" ", ["blitz", .. path, "--help"]);
        string more = parse.Errors.Count > 1 ? $" (and {parse.Errors.Count - 1} more)" : "";
        stderr.WriteLine($"blitz: error: {Plain(parse.Errors[0].Message).TrimEnd('.')}{more}; see `{help}`");
        return UserError;
    }

    /// <summary>
    /// A user's error as one line: .NET's " (Parameter 'X')" suffix dropped, an out-of-range value's "Actual value was V."
    /// line said as ", found V", and any other line break joined with "; ".
    /// </summary>
    internal static string OneLine(Exception e)
    {
        var lines = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (e is ArgumentException { ParamName: { } name })
        {
            lines = [.. lines.Select(line => line.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal))];
            if (e is ArgumentOutOfRangeException { ActualValue: { } actual } && lines.Remove($"Actual value was {actual}.")
                && !lines.Any(line => line.Contains($"found {actual}", StringComparison.Ordinal)))
                lines[^1] += $", found {actual}";
        }
        return string.Join("; ", lines);
    }

    /// <summary>A parse error with the .NET type it names said in words: "as a number", not "as expected type 'System.Single'".</summary>
    internal static string Plain(string message) => System.Text.RegularExpressions.Regex.Replace(message, @"as expected type '([^']+)'", m =>
    {
        string type = m.Groups[1].Value;
        if (type.Contains("Int", StringComparison.Ordinal)) return "as a whole number";
        if (type.Contains("Single", StringComparison.Ordinal) || type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal))
            return "as a number";
        if (type.Contains("Boolean", StringComparison.Ordinal)) return "as true or false";
        return m.Value;
    });
}
