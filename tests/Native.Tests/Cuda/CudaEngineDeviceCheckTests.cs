using System.Diagnostics;
using System.Text.Json;
using BlitzScale.Native.Cuda;
using BlitzScale.Tests.Shared;
using Xunit.Abstractions;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>
/// tools/DeviceCheck, as built with the solution: on a machine without a device it prints one JSON report saying
/// <c>"available": false</c> with the probe's reason and exits 3. (On a device it would run the whole check, which
/// takes minutes: that branch is left to the device run itself.)
/// </summary>
public sealed class CudaEngineDeviceCheckTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Without_a_device_the_report_says_unavailable_and_exits_3()
    {
        var probe = CudaRuntime.Probe();
        if (probe.Available)
        {
            output.WriteLine("device present: the no-device report cannot be produced here");
            return;
        }
        string? program = new[] { "Release", "Debug" }
            .Select(c => Path.Combine(RepositoryPaths.Root, "tools", "DeviceCheck", "bin", c, "net10.0", "BlitzScale.DeviceCheck.dll"))
            .FirstOrDefault(File.Exists);
        if (program is null)
        {
            output.WriteLine("skipped: tools/DeviceCheck is not built (build BlitzScale.sln first)");
            return;
        }

        var start = new ProcessStartInfo("dotnet", [program, "--shared", "/nonexistent"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        string report = await stdout;
        output.WriteLine(report + await stderr);

        Assert.Equal(3, process.ExitCode);
        using var parsed = JsonDocument.Parse(report);
        Assert.False(parsed.RootElement.GetProperty("available").GetBoolean());
        Assert.Equal(probe.Reason, parsed.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Bad_arguments_exit_2_with_the_usage()
    {
        string? program = Path.Combine(RepositoryPaths.Root, "tools", "DeviceCheck", "bin", "Release", "net10.0", "BlitzScale.DeviceCheck.dll");
        if (!File.Exists(program))
        {
            output.WriteLine("skipped: tools/DeviceCheck is not built in Release (build BlitzScale.sln -c Release first)");
            return;
        }
        var start = new ProcessStartInfo("dotnet", [program, "--bogus"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string error = await process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("--bogus", error);
        Assert.Contains("usage: DeviceCheck", error);

        var unknownCheck = new ProcessStartInfo("dotnet", [program, "--checks", "goldens_stories260k_f32,speed"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var second = Process.Start(unknownCheck)!;
        string secondError = await second.StandardError.ReadToEndAsync();
        await second.WaitForExitAsync(timeout.Token);
        Assert.Equal(2, second.ExitCode);
        Assert.Contains("unknown check \"speed\"", secondError);
        Assert.Contains("layer_time_llama3_8b", secondError);
    }
}
