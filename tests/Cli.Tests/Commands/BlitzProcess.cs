using System.Diagnostics;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>Runs the built <c>blitz</c> command as a separate process, as a user would, with its own cache folder.</summary>
internal static class BlitzProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> Run(string cacheDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "blitz.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["BLITZSCALE_CACHE"] = cacheDirectory;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
