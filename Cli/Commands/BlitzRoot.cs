using System.CommandLine;
using System.Runtime.InteropServices;

namespace BlitzScale.Cli.Commands;

/// <summary>The <c>blitz</c> command line: every command, and how a line that does not parse is answered.</summary>
internal static class BlitzRoot
{
    public static RootCommand Create()
    {
        var root = new RootCommand("blitz: BlitzScale, an LLM serving grid on Orleans that autoscales live");
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(GridCommands.Deploy());
        root.Subcommands.Add(GridCommands.Undeploy());
        root.Subcommands.Add(GridCommands.Status());
        root.Subcommands.Add(ScaleCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(GridCommands.Silo());
        root.Subcommands.Add(ModelCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

    /// <summary>How long a command has to stop after SIGTERM before the process exits anyway (exit code 143).</summary>
    internal static readonly TimeSpan TerminationGrace = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs <paramref name="args"/>: a usage error is one line and exit code 2 (README), not a usage dump. SIGTERM (docker stop,
    /// systemd, Kubernetes) stops a command as Ctrl+C does: its cancellation fires, and it stops what it started (a server's
    /// grid, a bench's testbed). The hosts a command embeds answer SIGTERM by stopping themselves and cancelling the runtime's
    /// exit, so without this `blitz serve` outlived SIGTERM, its silo stopped under it, until a SIGKILL.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args)
    {
        var parse = Create().Parse(args);
        if (parse.Errors.Count > 0) return CliErrors.Usage(parse, Console.Error);
        using var terminate = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            // Not Cancel(): that would run the command's whole stop inline on the runtime's signal thread, ahead of the other
            // handlers of the same signal (the hosts' own), which a host's stop may wait for.
            _ = terminate.CancelAsync();
            _ = Task.Delay(TerminationGrace).ContinueWith(_ => Environment.Exit(143), TaskScheduler.Default);
        });
        return await parse.InvokeAsync(cancellationToken: terminate.Token);
    }
}
