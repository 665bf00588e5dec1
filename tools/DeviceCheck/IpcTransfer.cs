using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using BlitzScale.Native.Cuda;
using BlitzScale.Native.Cuda.Ipc;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Transport;

namespace BlitzScale.DeviceCheck;

/// <summary>
/// (f) The same-host GPU-to-GPU transport between two processes: this program starts a copy of itself that loads a
/// synthetic stories110m-shaped bf16 image into device memory and serves it (<see cref="CudaIpcBlobServer"/>); this
/// process maps the peer's allocation through its CUDA IPC handle (<see cref="CudaIpcBlobTransport"/>) and pulls every
/// layer into its own device image and host image. On a one-GPU machine both processes use the same device, which
/// still proves the mechanism: a handle opened in another process, device-to-device copies out of it, every chunk checked.
/// </summary>
internal static class IpcTransfer
{
    public const string ServeOption = "--serve-ipc";
    private const string ModelId = "devicecheck-ipc";
    private const string SecretVariable = "BLITZSCALE_DEVICECHECK_IPC_SECRET";
    private const string ReadyLine = "ready ";

    public static JsonObject Run(bool quick)
    {
        var config = SyntheticShapes.Get(quick ? "stories15m" : "stories110m");
        string model = Models.WriteSynthetic(config, DType.BF16);
        string sockets = Directory.CreateTempSubdirectory("blitz-devicecheck-ipc-").FullName;
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        try
        {
            using var directory = ModelDirectory.Open(model);
            using var expected = directory.LoadImage();
            var layout = directory.Layout;
            using var peer = StartPeer(model, sockets, secret);
            string address = peer.WaitReady();

            using var context = CudaContext.Open();
            using var deviceImage = context.Allocate(layout.TotalBytes);
            using var transport = new CudaIpcBlobTransport(secret, context, deviceImage);
            using var received = ParameterImage.Allocate(layout);
            var clock = Stopwatch.StartNew();
            var result = transport.TransferAsync(address, new TransferRequest(ModelId, 0, layout.Blobs.Count, TransferRequest.DefaultChunkBytes),
                new ImageSink(received)).GetAwaiter().GetResult();
            double seconds = clock.Elapsed.TotalSeconds;

            bool hostIntact = Enumerable.Range(0, layout.Blobs.Count).All(b => received.IsLoaded(b) && received.BlobBytes(b).SequenceEqual(expected.BlobBytes(b)));
            bool deviceIntact = DeviceMatches(deviceImage, expected);
            return new JsonObject
            {
                ["model"] = $"{(quick ? "stories15m" : "stories110m")} shape, bf16 synthetic",
                ["bytes"] = layout.TotalBytes,
                ["blobs"] = layout.Blobs.Count,
                ["peer_process"] = peer.Id,
                ["GBps"] = Math.Round(layout.TotalBytes / seconds / 1e9, 2),
                ["host_image_intact"] = hostIntact,
                ["device_image_intact"] = deviceIntact,
                ["chunks"] = result.Chunks,
                ["refetched_chunks"] = result.RefetchedChunks,
            };
        }
        finally
        {
            Directory.Delete(model, recursive: true);
            Directory.Delete(sockets, recursive: true);
        }
    }

    /// <summary>The peer side (this program started with <see cref="ServeOption"/>): serves the model's image until stdin closes.</summary>
    public static int Serve(string model, string sockets)
    {
        byte[] secret = Convert.FromHexString(Environment.GetEnvironmentVariable(SecretVariable)
            ?? throw new InvalidOperationException($"{ServeOption} needs the cluster secret in {SecretVariable}"));
        using var directory = ModelDirectory.Open(model);
        using var image = directory.LoadImage();
        using var context = CudaContext.Open();
        using var deviceImage = context.Allocate(directory.Layout.TotalBytes);
        for (int b = 0; b < directory.Layout.Blobs.Count; b++)
            deviceImage.CopyFrom(image.BlobBytes(b), directory.Layout.Blobs[b].Offset);
        var server = CudaIpcBlobServer.Start(sockets, "peer", secret, context);
        try
        {
            server.Register(ModelId, directory.Layout, deviceImage);
            Console.WriteLine($"{ReadyLine}{server.Address}");
            Console.Out.Flush();
            Console.In.ReadToEnd();
            return 0;
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static bool DeviceMatches(DeviceBuffer device, ParameterImage expected)
    {
        var layout = expected.Layout;
        for (int b = 0; b < layout.Blobs.Count; b++)
        {
            var back = new byte[layout.Blobs[b].ByteLength];
            device.CopyTo(back, layout.Blobs[b].Offset);
            if (!back.AsSpan().SequenceEqual(expected.BlobBytes(b))) return false;
        }
        return true;
    }

    private static Peer StartPeer(string model, string sockets, byte[] secret)
    {
        // Started the way this process was: the single-file program itself, or dotnet with the assembly.
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this program is unknown");
        var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        // Under dotnet, the first command-line argument is the assembly's path (a single-file program has none).
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        foreach (string argument in new[] { ServeOption, model, sockets }) start.ArgumentList.Add(argument);
        start.Environment[SecretVariable] = Convert.ToHexString(secret);
        return new Peer(Process.Start(start) ?? throw new InvalidOperationException($"could not start {self}"));
    }

    /// <summary>The serving copy of this program; disposing closes its stdin (it then exits) and waits for it.</summary>
    private sealed class Peer(Process process) : IDisposable
    {
        public int Id => process.Id;

        public string WaitReady()
        {
            string? line = process.StandardOutput.ReadLine();
            return line is not null && line.StartsWith(ReadyLine, StringComparison.Ordinal)
                ? line[ReadyLine.Length..]
                : throw new InvalidOperationException($"the serving process said \"{line}\" instead of \"{ReadyLine}ADDRESS\" (exit code {(process.HasExited ? process.ExitCode : null)})");
        }

        public void Dispose()
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30))) process.Kill(entireProcessTree: true);
            process.Dispose();
        }
    }
}
