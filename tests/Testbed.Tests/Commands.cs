using System.Diagnostics;

namespace BlitzScale.Testbed.Tests;

/// <summary>Runs the testbed script and the built <c>blitz</c> as separate processes, as an operator would.</summary>
internal static class Commands
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    /// <summary>The built blitz beside the test binaries, as testbed.sh's <c>--blitz</c> prefix takes it.</summary>
    public static string[] Blitz => ["dotnet", Path.Combine(AppContext.BaseDirectory, "blitz.dll")];

    /// <summary>testbed/testbed.sh of this checkout.</summary>
    public static string TestbedScript => Path.Combine(BlitzScale.Tests.Shared.RepositoryPaths.Root, "testbed", "testbed.sh");

    public static Process Start(IEnumerable<string> command)
    {
        var list = command.ToList();
        var start = new ProcessStartInfo(list[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in list.Skip(1)) start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {list[0]}");
    }

    public static async Task<Result> Run(IEnumerable<string> command, TimeSpan? timeout = null)
    {
        using var process = Start(command);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', command)} ran past {(timeout ?? TimeSpan.FromMinutes(2)).TotalSeconds:F0} s");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    public static Task<Result> Testbed(params string[] args) => Run(["bash", TestbedScript, .. args]);
}
