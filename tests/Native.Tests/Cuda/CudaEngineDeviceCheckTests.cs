using System.Diagnostics;
using System.Text.Json;
using BlitzScale.Native.Cuda;
using Xunit.Abstractions;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>
/// tools/DeviceCheck, as built with the solution: on a machine without a device it prints one JSON report saying
/// <c>"available": false</c> with the probe's reason and exits 3. (On a device it would run the whole check, which
/// takes minutes: that branch is left to the device run itself.)
/// </summary>
public sealed class CudaEngineDeviceCheckTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Without_a_device_the_report_says_unavailable_and_exits_3()
    {
        var probe = CudaRuntime.Probe();
        Skip.If(probe.Available, $"a CUDA device is present ({probe.Reason}): the no-device report cannot be produced here");
        string program = DeviceCheckProgram.Require();

        var (exitCode, report, errors) = await DeviceCheckProgram.RunAsync(program, ["--shared", "/nonexistent"], TimeSpan.FromMinutes(1));
        output.WriteLine(report + errors);

        Assert.Equal(3, exitCode);
        using var parsed = JsonDocument.Parse(report);
        Assert.False(parsed.RootElement.GetProperty("available").GetBoolean());
        Assert.Equal(probe.Reason, parsed.RootElement.GetProperty("reason").GetString());
    }

    [SkippableFact]
    public async Task Bad_arguments_exit_2_with_the_usage()
    {
        string program = DeviceCheckProgram.Require();
        var (exitCode, _, error) = await DeviceCheckProgram.RunAsync(program, ["--bogus"], TimeSpan.FromMinutes(1));
        Assert.Equal(2, exitCode);
        Assert.Contains("--bogus", error);
        Assert.Contains("usage: DeviceCheck", error);

        var (secondExitCode, _, secondError) = await DeviceCheckProgram.RunAsync(program, ["--checks", "goldens_stories260k_f32,speed"], TimeSpan.FromMinutes(1));
        Assert.Equal(2, secondExitCode);
        Assert.Contains("unknown check \"speed\"", secondError);
        Assert.Contains("layer_time_llama3_8b", secondError);
    }
}
