using System.CommandLine;

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

    /// <summary>Runs <paramref name="args"/>: a usage error is one line and exit code 2 (README), not a usage dump.</summary>
    public static async Task<int> InvokeAsync(string[] args)
    {
        var parse = Create().Parse(args);
        if (parse.Errors.Count > 0) return CliErrors.Usage(parse, Console.Error);
        return await parse.InvokeAsync();
    }
}
