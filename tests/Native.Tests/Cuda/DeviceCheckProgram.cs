using System.Diagnostics;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>tools/DeviceCheck as the solution builds it, run as a child process (<c>dotnet BlitzScale.DeviceCheck.dll</c>).</summary>
internal static class DeviceCheckProgram
{

    /// <summary>The most recently built DeviceCheck assembly (Release or Debug), or null when there is none.</summary>
    public static string? Built =>
        new[] { "Release", "Debug" }
            .Select(c => Path.Combine(RepositoryPaths.Root, "tools", "DeviceCheck", "bin", c, "net10.0", "BlitzScale.DeviceCheck.dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();

    /// <summary>The built DeviceCheck assembly; skips the calling test, saying where it looked, when there is none.</summary>
    public static string Require()
    {
        string? program = Built;
        Skip.If(program is null, $"tools/DeviceCheck is not built: no BlitzScale.DeviceCheck.dll under {Path.Combine(RepositoryPaths.Root, "tools", "DeviceCheck", "bin")} (build BlitzScale.sln first)");
        return program;
    }

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/> to its end, within <paramref name="limit"/>.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, IEnumerable<string> arguments,
        TimeSpan limit, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet", [program, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
