using BlitzScale.Grains.DataPlane;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Placement;
using BlitzScale.Grains.Serving;
using BlitzScale.Native.Models.Image;
using BlitzScale.Scaling.Caching;
using BlitzScale.Grains.Telemetry;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Grains.Memory;

/// <summary>
/// The model copies in one host's memory. A copy is read from the model files in the background and registered with
/// the data plane at once, so GPUs (here and on other hosts) fetch each blob as soon as it has landed. Copies with a
/// keep-alive (the <c>sllm</c> policy's) are dropped after that long without a load from them: the <see cref="KeepAlive"/>
/// policy decides, the grain's timer only asks it. A copy is held (never expires) until its fill ends.
/// </summary>
[GpuHostPlacement]
internal sealed partial class HostMemoryGrain(
    GpuHostOptions host, ThisHost thisHost, HostDataPlane dataPlane, TokenizerCache tokenizers, TimeProvider time, BlitzMetrics metrics,
    ILogger<HostMemoryGrain> logger)
    : Grain, IHostMemoryGrain
{
    private static readonly TimeSpan ExpiryPeriod = TimeSpan.FromSeconds(1);
    private readonly Dictionary<string, HostCopy> _copies = new(StringComparer.Ordinal);
    private readonly KeepAlive _keepAlive = new(time);
    private long _memoryBytes;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        string keyHost = HostMemoryKey.Parse(this.GetPrimaryKeyString()).Host;
        if (keyHost != host.Host)
            throw new InvalidOperationException($"host memory \"{this.GetPrimaryKeyString()}\" activated on host \"{host.Host}\"");
        _memoryBytes = thisHost.Describe().HostMemoryBytes;
        // The copies must outlive idle periods.
        DelayDeactivation(TimeSpan.FromDays(3650));
        this.RegisterGrainTimer(DropExpired, ExpiryPeriod, ExpiryPeriod);
        ReportCache();
        return Task.CompletedTask;
    }

    public Task<ImageDescription> Describe(string modelDirectory) => Task.Run(() =>
    {
        // A deploy describes the image first: every file is checked here, before any instance or host copy loads; off the
        // grain's scheduler, as reading the tokenizer takes a while.
        using var files = ModelFiles.OpenChecked(host, modelDirectory, tokenizers);
        var layout = files.Layout;
        return new ImageDescription(layout.Blobs.Select(b => b.ByteLength).ToList(), layout.NumLayers, layout.TotalBytes);
    });

    public async Task<HostCopyStatus> EnsureCopy(string model, string modelDirectory, double? keepAliveSeconds, bool deferFill)
    {
        if (_copies.TryGetValue(model, out var existing))
        {
            if (existing.Error is null)
            {
                _keepAlive.Touch(model);
                return existing.Status(host.Host);
            }
            await Remove(existing);
        }

        var steps = new StepTimes();
        // Off the grain's scheduler: parsing the files must not stall the silo's other grains (this one waits for it).
        var files = await Task.Run(() => ModelFiles.Open(host, modelDirectory));
        steps.Lap("open files");
        long used = _copies.Values.Sum(c => c.Image.Layout.TotalBytes);
        if (used + files.Layout.TotalBytes > _memoryBytes)
        {
            files.Dispose();
            throw new InvalidOperationException(
                $"host \"{host.Host}\" has {_memoryBytes - used:N0} bytes of memory left for model copies; model \"{model}\" needs {files.Layout.TotalBytes:N0}");
        }
        var copy = new HostCopy(host.Host, model, files, ParameterImage.Allocate(files.Layout), keepAliveSeconds);
        steps.Lap("allocate image");
        _copies[model] = copy;
        ReportCache();
        _keepAlive.Track(model, keepAliveSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        // A copy not yet read, or still filling, is in use.
        _keepAlive.Hold(model);
        dataPlane.Register(copy.SourceId, copy.Sink);
        steps.Lap("register");
        if (!deferFill) await StartFill(model);
        steps.Lap("start fill");
        LogCopyMade(logger, model, host.Host, steps.TotalMs, steps.ToString());
        return copy.Status(host.Host) with { Cold = true };
    }

    public async Task StartFill(string model)
    {
        if (!_copies.TryGetValue(model, out var copy) || copy.FillStarted) return;
        copy.FillStarted = true;
        copy.Loading = Fill(copy);
        LogCopying(logger, model, host.Host, copy.Files.Path, copy.Image.Layout.TotalBytes);
        await Publish(copy, $"copy of {model} loading into the memory of {host.Host} from {copy.Files.Path}");
    }

    public Task<bool> Touch(string model) => Task.FromResult(_copies.ContainsKey(model) && _keepAlive.Touch(model));

    public async Task<bool> Drop(string model)
    {
        if (!_copies.TryGetValue(model, out var copy)) return false;
        await Remove(copy);
        await Publish(copy, $"copy of {model} dropped from the memory of {host.Host}");
        return true;
    }

    public Task<HostMemoryStatus> GetStatus() => Task.FromResult(new HostMemoryStatus(
        host.Host, _copies.Values.OrderBy(c => c.Model, StringComparer.Ordinal).Select(c => c.Status(host.Host)).ToList(), _memoryBytes));

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        foreach (var copy in _copies.Values.ToList()) await Remove(copy);
    }

    private async Task Fill(HostCopy copy)
    {
        try
        {
            copy.Restart();
            await Task.Run(() => ImageFill.LoadFromFiles(copy.Files, copy.Sink, 0, copy.Image.Layout.Blobs.Count, host.StorageMBps, _ => { }, CancellationToken.None));
            copy.Loaded();
            LogCopied(logger, copy.Model, host.Host, copy.LoadSeconds);
        }
        catch (Exception e)
        {
            copy.LoadFailed(e);
            copy.Sink.TransferFailed(0, copy.Image.Layout.Blobs.Count, e);
            LogCopyFailed(logger, copy.Model, host.Host, e);
        }
        // The keep-alive runs from the end of the fill; a copy dropped (and perhaps made again) meanwhile is not this one.
        if (_copies.GetValueOrDefault(copy.Model) == copy) _keepAlive.Release(copy.Model);
    }

    private async Task Remove(HostCopy copy)
    {
        _copies.Remove(copy.Model);
        ReportCache();
        _keepAlive.Forget(copy.Model);
        await copy.Loading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        await dataPlane.RetireAsync(copy.SourceId);
        copy.Dispose();
    }

    // The memory the copies hold (allocated when a copy is made, whether or not its fill is done).
    private void ReportCache() => metrics.Grid.HostCache(host.Host, _copies.Values.Sum(c => c.Image.Layout.TotalBytes));

    private async Task DropExpired(CancellationToken cancellationToken)
    {
        foreach (string model in _keepAlive.Expired())
        {
            if (!_copies.TryGetValue(model, out var copy))
            {
                _keepAlive.Forget(model);
                continue;
            }
            LogExpired(logger, copy.Model, host.Host, copy.KeepAliveSeconds ?? 0);
            await Remove(copy);
            await Publish(copy, $"copy of {copy.Model} dropped from the memory of {host.Host} after its keep-alive");
        }
    }

    private Task Publish(HostCopy copy, string detail) => ModelEvents.Publish(this, new ModelEvent
    {
        Kind = ModelEventKind.HostCopy,
        Model = copy.Model,
        Gpu = new HostMemoryKey(host.Host).ToString(),
        TotalBytes = copy.Image.Layout.TotalBytes,
        TotalLayers = copy.Image.Layout.NumLayers,
        Detail = detail,
    });

    [LoggerMessage(Level = LogLevel.Information, Message = "Copying model {Model} into the memory of host {Host} from {Directory} ({Bytes} bytes)")]
    private static partial void LogCopying(ILogger logger, string model, string host, string directory, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Copy of model {Model} made in the memory of host {Host} in {Ms:0.0} ms: {Steps}")]
    private static partial void LogCopyMade(ILogger logger, string model, string host, double ms, string steps);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} is in the memory of host {Host} ({Seconds:0.00} s)")]
    private static partial void LogCopied(ILogger logger, string model, string host, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Copying model {Model} into the memory of host {Host} failed")]
    private static partial void LogCopyFailed(ILogger logger, string model, string host, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropping model {Model} from the memory of host {Host}: unused for its keep-alive of {KeepAlive} s")]
    private static partial void LogExpired(ILogger logger, string model, string host, double keepAlive);
}
