using System.CommandLine;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Cli.Commands;

/// <summary><c>blitz model</c>: synth, inspect and goldens.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var command = new Command("model", "Create, inspect and verify model directories");
        command.Subcommands.Add(Synth());
        command.Subcommands.Add(Inspect());
        command.Subcommands.Add(Goldens());
        return command;
    }

    private static Command Synth()
    {
        var output = new Option<string>("--out") { Description = "Directory to write", Required = true };
        var shape = new Option<string?>("--shape") { Description = $"Known shape: {string.Join(", ", SyntheticShapes.Names)}" };
        var config = new Option<string?>("--config") { Description = "A config.json whose shape to use instead of --shape" };
        var dtype = new Option<string>("--dtype") { Description = "f32, f16 or bf16", DefaultValueFactory = _ => "bf16" };
        var seed = new Option<ulong>("--seed") { Description = "Weight seed", DefaultValueFactory = _ => ModelSource.DefaultSeed };
        var force = new Option<bool>("--force") { Description = "Overwrite the model files --out already holds (refused without it)" };
        var command = new Command("synth", "Write a Hugging Face model directory with seeded random weights of a real shape") { output, shape, config, dtype, seed, force };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string? shapeName = parse.GetValue(shape), configPath = parse.GetValue(config);
            if ((shapeName is null) == (configPath is null))
                throw new ArgumentException("give exactly one of --shape NAME or --config FILE");
            var modelConfig = configPath is not null ? LlamaConfigReader.Read(configPath) : SyntheticShapes.Get(shapeName!);
            var type = DTypes.Parse(parse.GetValue(dtype)!);
            string dir = parse.GetValue(output)!;
            if (File.Exists(dir)) throw new ArgumentException($"--out {dir}: is a file; expected a directory");
            // A real model's directory given by mistake would lose its weights: refuse to overwrite unless told to.
            var present = SyntheticModelWriter.Files.Where(f => File.Exists(Path.Combine(dir, f))).ToList();
            if (present.Count > 0 && !parse.GetValue(force))
                throw new ArgumentException($"--out {dir}: already holds {string.Join(", ", present)}; give --force to overwrite them");
            SyntheticModelWriter.Write(dir, modelConfig, type, parse.GetValue(seed));
            using var written = ModelDirectory.Open(dir);
            Console.WriteLine($"wrote {dir}: {modelConfig.NumLayers} layers, {written.Layout.TotalBytes / 1e6:F1} MB image in {type.Name()}");
            return 0;
        }));
        return command;
    }

    private static Command Inspect()
    {
        var dir = new Argument<string>("DIR")
        {
            Description = "Model directory (default: the shipped stories260K)",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => ModelSource.DefaultModelDirectory,
        };
        var command = new Command("inspect", "Print the config, the tensor table and the parameter image layout") { dir };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            using var model = ModelDirectory.Open(parse.GetValue(dir)!);
            ModelReport.Write(model, Console.Out);
            return 0;
        }));
        return command;
    }

    private static Command Goldens()
    {
        var dir = new Argument<string>("DIR")
        {
            Description = "Model directory with a goldens.jsonl of reference greedy generations (default: the shipped stories260K)",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => ModelSource.DefaultModelDirectory,
        };
        var command = new Command("goldens", "Replay goldens.jsonl greedily and compare token for token") { dir };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string path = parse.GetValue(dir)!;
            string goldens = Path.Combine(path, "goldens.jsonl");
            if (!File.Exists(goldens)) throw new FileNotFoundException($"{goldens} not found: the model directory has no reference generations");
            using var model = LocalModel.Open(path);
            int failed = 0;
            foreach (var golden in GoldenCase.Load(goldens))
            {
                var outcome = golden.Check(model);
                if (!outcome.Passed) failed++;
                string verdict = outcome.Passed ? "PASS" : $"FAIL at index {outcome.FirstDifference}";
                Console.WriteLine($"{verdict}: \"{golden.Prompt}\" ({outcome.Ids.Length} ids)");
                Console.WriteLine($"  {model.Tokenizer.Decode(outcome.Ids).ReplaceLineEndings(" ")}");
            }
            return failed == 0 ? 0 : 1;
        }));
        return command;
    }
}
