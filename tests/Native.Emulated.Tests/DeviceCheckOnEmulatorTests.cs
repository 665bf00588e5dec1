using System.Text.Json;
using BlitzScale.Native.Tests.Cuda;
using BlitzScale.Tests.Shared;
using Xunit.Abstractions;

namespace BlitzScale.Native.Tests;

/// <summary>
/// tools/DeviceCheck, the program the GPU run uses, run whole on the emulator: its correctness checks pass (goldens,
/// split invariance, bf16 logits against the cpu backend, the chunked upload's bytes, a layer image pulled from another
/// process's device memory through its CUDA IPC handle, the layer timing's code on a tiny shape), so a device run
/// fails only on what a GPU does differently. Its timings here are the emulator's and mean nothing; they are not asserted.
/// </summary>
public sealed class DeviceCheckOnEmulatorTests(ITestOutputHelper output)
{
    private const string Checks = "goldens_stories260k_f32,split_invariance,cpu_vs_cuda_bf16,h2d_upload,ipc_same_host,layer_time_llama3_8b";

    [SkippableFact]
    public async Task The_device_checks_pass_on_the_emulator()
    {
        string model = SharedData.RequireStories260K();
        string shared = Path.GetDirectoryName(Path.GetDirectoryName(model))!;
        using var cache = new TempDirectory();
        string program = DeviceCheckProgram.Built
            ?? throw new InvalidOperationException("tools/DeviceCheck is not built (this project references it, so building the tests builds it)");
        // The layer timing on a tiny shape (llama3-8b's GEMMs would take the emulator hours), across the GEMM-attention
        // threshold: its code runs; its figures are the emulator's.
        string[] arguments = ["--shared", shared, "--quick", "--no-torch", "--checks", Checks,
            "--layer-shape", "tiny", "--layer-prefill", "16,160", "--layer-decode", "4x32"];
        // The child process gets the emulator the same way as this one, before anything binds CUDA.
        var environment = new Dictionary<string, string>
        {
            ["LD_PRELOAD"] = string.Join(':', EmulatorSetup.Libraries.Select(l => Path.Combine(EmulatorSetup.Directory, l))),
            ["BLITZSCALE_CACHE"] = cache.Path,
        };
        var (exitCode, report, errors) = await DeviceCheckProgram.RunAsync(program, arguments, TimeSpan.FromMinutes(5), environment);
        output.WriteLine(errors);
        Assert.True(exitCode == 0, $"DeviceCheck exited {exitCode}: {report}");

        using var parsed = JsonDocument.Parse(report);
        var root = parsed.RootElement;
        Assert.True(root.GetProperty("available").GetBoolean());
        Assert.Contains("emulator", root.GetProperty("device").GetString());
        Assert.True(root.GetProperty("goldens_stories260k_f32").GetProperty("all_passed").GetBoolean());
        Assert.True(root.GetProperty("split_invariance").GetProperty("all_bit_identical").GetBoolean());

        var bf16 = root.GetProperty("cpu_vs_cuda_bf16");
        double difference = bf16.GetProperty("max_abs_logit_diff").GetDouble(), largest = bf16.GetProperty("max_abs_logit").GetDouble();
        // bf16 GEMM inputs against the cpu backend's: about 1e-2 on logits of about 3 (the emulator accumulates in
        // f32 as cuBLAS does; only the summation order differs).
        Assert.InRange(difference, 0, 0.02 * largest);
        string[] agreement = bf16.GetProperty("greedy_agreement").GetString()!.Split('/');
        Assert.Equal(agreement[1], agreement[0]);

        Assert.True(root.GetProperty("h2d_upload").GetProperty("data_intact").GetBoolean());
        var ipc = root.GetProperty("ipc_same_host");
        Assert.True(ipc.GetProperty("host_image_intact").GetBoolean());
        Assert.True(ipc.GetProperty("device_image_intact").GetBoolean());
        Assert.NotEqual(Environment.ProcessId, ipc.GetProperty("peer_process").GetInt32());
        var layer = root.GetProperty("layer_time_llama3_8b");
        Assert.False(layer.TryGetProperty("error", out _), layer.ToString());
        foreach (string key in new[] { "prefill_T16_ms", "prefill_T160_ms", "decode_B4_ctx32_ms", "prefill_T16_tiled_attention_ms", "prefill_T160_tiled_attention_ms" })
            Assert.True(layer.GetProperty(key).GetDouble() > 0, key);
    }
}
