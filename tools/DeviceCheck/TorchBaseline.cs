using System.Diagnostics;
using System.Text.Json.Nodes;

namespace BlitzScale.DeviceCheck;

/// <summary>Runs <c>torch_layer.py</c> (shipped beside the program) with <c>python3</c> and returns its JSON, or why it could not.</summary>
internal static class TorchBaseline
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    public static JsonObject Run()
    {
        string script = Path.Combine(AppContext.BaseDirectory, "torch_layer.py");
        if (!File.Exists(script)) return new JsonObject { ["error"] = $"{script} is missing: publish copies it beside the program" };
        var start = new ProcessStartInfo("python3", [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Limit))
            {
                process.Kill(entireProcessTree: true);
                return new JsonObject { ["error"] = $"python3 torch_layer.py ran past {Limit.TotalMinutes} minutes" };
            }
            string output = stdout.Result.Trim();
            if (process.ExitCode != 0 || output.Length == 0)
                return new JsonObject { ["error"] = $"python3 torch_layer.py exited {process.ExitCode}: {Tail(stderr.Result)}" };
            return JsonNode.Parse(output.Split('\n')[^1]) as JsonObject ?? new JsonObject { ["error"] = $"not a JSON object: {Tail(output)}" };
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or System.Text.Json.JsonException)
        {
            return new JsonObject { ["error"] = $"python3 torch_layer.py: {e.Message}" };
        }
    }

    private static string Tail(string text) => text.Length <= 800 ? text.Trim() : text[^800..].Trim();
}
