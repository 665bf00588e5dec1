using System.CommandLine;
using BlitzScale.Cli.Commands;

var root = new RootCommand("blitz: BlitzScale, an LLM serving grid on Orleans that autoscales live");
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(GridCommands.Deploy());
root.Subcommands.Add(GridCommands.Status());
root.Subcommands.Add(ScaleCommand.Create());
root.Subcommands.Add(ReplayCommand.Create());
root.Subcommands.Add(GridCommands.Silo());
root.Subcommands.Add(ModelCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return await root.Parse(args).InvokeAsync();
