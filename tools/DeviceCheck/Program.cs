using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using BlitzScale.DeviceCheck;
using BlitzScale.Native.Cuda;

// Prints ONE JSON report on stdout. Exit codes: 0 every check ran (goals are reported, not enforced), 1 a check failed
// with an error, 2 bad arguments, 3 no CUDA device here.
CheckOptions options;
try
{
    options = CheckOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

if (options.ServeIpc is var (ipcModel, ipcSockets)) return IpcTransfer.Serve(ipcModel, ipcSockets);

var report = new JsonObject();
var probe = CudaRuntime.Probe();
report["available"] = probe.Available;
report["reason"] = probe.Reason;
if (!probe.Available)
{
    Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    return 3;
}
report["device"] = probe.DeviceName;
report["compute_capability"] = $"{probe.ComputeMajor}.{probe.ComputeMinor}";

bool failed = false;
void Run(string name, Func<JsonObject> check)
{
    if (!options.Checks.Contains(name)) return;
    var clock = Stopwatch.StartNew();
    JsonObject result;
    try
    {
        result = check();
    }
    catch (Exception e)
    {
        failed = true;
        result = new JsonObject { ["error"] = $"{e.GetType().Name}: {e.Message}", ["at"] = e.StackTrace?.Split('\n').FirstOrDefault()?.Trim() };
    }
    result["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 2);
    report[name] = result;
    // Progress on stderr, so a run cut short still shows how far it got.
    Console.Error.WriteLine($"{name}: {result.ToJsonString()}");
}

Run("goldens_stories260k_f32", () => GoldenCheck.Run(options.Shared));
Run("split_invariance", () => SplitCheck.Run(options.Shared));
Run("cpu_vs_cuda_bf16", () => CpuComparison.Run(options.Quick));
Run("h2d_upload", () => UploadBandwidth.Run(options.Quick));
Run("ipc_same_host", () => IpcTransfer.Run(options.Quick));
Run("layer_time_llama3_8b", () => LayerTiming.Run(options));

report["goals"] = Goals.Evaluate(report);
Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
return failed ? 1 : 0;
