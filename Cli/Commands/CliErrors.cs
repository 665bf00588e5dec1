using System.CommandLine;
using BlitzScale.Native;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// Turns the errors a user can cause into one readable line and exit code 2, and cluster faults (a silo gone, a host
/// without a silo, a call timed out, no gateway) into one line and exit code 1 — never a stack trace.
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
            await stderr.WriteLineAsync($"blitz: error: {e.Message}");
            return UserError;
        }
        catch (Exception e) when (ClusterFaults.Describe(e) is { } fault)
        {
            await stderr.WriteLineAsync($"blitz: error: {fault}");
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
        stderr.WriteLine($"blitz: error: {parse.Errors[0].Message.TrimEnd('.')}{more}; see `{help}`");
        return UserError;
    }
}
