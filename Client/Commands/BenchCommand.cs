using System.CommandLine;
using System.Text.Json;
using BlitzScale.Client.Benchmarks;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Client.Commands;

/// <summary><c>blitz bench</c>: benchmarks that write JSON reports.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks, each measured against its baseline in the same run");
        command.Subcommands.Add(Engine());
        return command;
    }

    private static Command Engine()
    {
        var model = new Option<string?>("--model") { Description = "Model directory (default: the synthetic --shape in --dtype, created once in the cache)" };
        var shape = new Option<string>("--shape") { Description = "Synthetic shape when --model is absent", DefaultValueFactory = _ => "stories110m" };
        var dtype = new Option<string>("--dtype") { Description = "Synthetic dtype when --model is absent: f32, f16 or bf16", DefaultValueFactory = _ => "bf16" };
        var json = new Option<string?>("--json") { Description = "Also write the report to this file" };
        var command = new Command("engine", "Memory bandwidth vs cpu engine decode speed (decode_roofline_share), prefill and batched decode rates") { model, shape, dtype, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string path = ModelSource.Resolve(parse.GetValue(model), parse.GetValue(shape)!, DTypes.Parse(parse.GetValue(dtype)!));
            using var local = LocalModel.Open(path);
            var report = EngineBenchmark.Run(local, step => Console.Error.WriteLine($"bench engine: {step}"));
            string text = JsonSerializer.Serialize(report, CliJson.Indented);
            Console.WriteLine(text);
            if (parse.GetValue(json) is { } file) File.WriteAllText(file, text + Environment.NewLine);
            return 0;
        }));
        return command;
    }
}
