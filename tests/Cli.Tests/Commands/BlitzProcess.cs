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
    public static Task<Result> RunIn(string? workingDirectory, string cacheDirectory, params string[] args) => RunAs(null, workingDirectory, cacheDirectory, args);

    /// <summary>
    /// Runs blitz as <paramref name="launcher"/> says (e.g. <c>setpriv --reuid 65534 … env HOME=…</c>, to run it without root), or
    /// directly when null.
    /// </summary>
    public static async Task<Result> RunAs(string[]? launcher, string? workingDirectory, string cacheDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(launcher is { Length: > 0 } ? launcher[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        start.Environment["BLITZSCALE_SHARED"] = Path.Combine(cacheDirectory, "no-shared-here");
        if (launcher is { Length: > 0 })
        {
            foreach (string part in launcher.Skip(1)) start.ArgumentList.Add(part);
            start.ArgumentList.Add("dotnet");
        }
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
