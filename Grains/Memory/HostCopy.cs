using System.Diagnostics;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;

namespace BlitzScale.Grains.Memory;

/// <summary>One model's parameter image in host memory, filled from the model files and served while it fills.</summary>
internal sealed class HostCopy(string host, string model, ModelDirectory files, ParameterImage image, double? keepAliveSeconds)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public string Model { get; } = model;
    public string SourceId { get; } = new HostCopySourceId(model, host).ToString();
    public ModelDirectory Files { get; } = files;
    public ParameterImage Image { get; } = image;
    public ImageSink Sink { get; } = new(image);
    public Task Loading { get; set; } = Task.CompletedTask;
    public bool FillStarted { get; set; }
    public double? KeepAliveSeconds { get; } = keepAliveSeconds;
    public double LoadSeconds { get; private set; }
    public string? Error { get; private set; }

    public void Restart() => _clock.Restart();

    public void Loaded() => LoadSeconds = _clock.Elapsed.TotalSeconds;

    public void LoadFailed(Exception error) => Error = error.Message;

    public HostCopyStatus Status(string hostName) =>
        new(hostName, Model, Image.Layout.TotalBytes, Error is null && Image.IsComplete, LoadSeconds, Error, SourceId);

    public void Dispose()
    {
        Image.Dispose();
        Files.Dispose();
    }
}
