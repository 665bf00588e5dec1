using System.Diagnostics;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>Runs the built <c>blitz</c> command as a separate process, as a user would, with its own cache folder.</summary>
internal static class BlitzProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Task<Result> Run(string cacheDirectory, params string[] args) => RunIn(null, cacheDirectory, args);

    /// <summary>
    /// Runs blitz from <paramref name="workingDirectory"/> (null: the test's). <c>BLITZSCALE_SHARED</c> points at a path that
    /// does not exist: blitz reads no such variable today, and this keeps it from leaning on ../shared if it ever does.
    /// </summary>
    public static async Task<Result> RunIn(string? workingDirectory, string cacheDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        start.Environment["BLITZSCALE_SHARED"] = Path.Combine(cacheDirectory, "no-shared-here");
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
