namespace BlitzScale.Grains.Interfaces.Topology;

/// <summary>
/// The model copies kept in one host's memory, keyed <c>"{host}/memory"</c> and activated on that host's silo. A copy
/// is loaded from the host's model files and served to GPUs (on the host and, over the data plane, on others).
/// </summary>
[Alias("blitz.IHostMemoryGrain")]
public interface IHostMemoryGrain : IGrainWithStringKey
{
    /// <summary>The image layout of a model directory on this host (blob sizes), read from its files' headers.</summary>
    /// <exception cref="ArgumentException">The directory is missing or malformed; the message names the file.</exception>
    [Alias("Describe")]
    Task<ImageDescription> Describe(string modelDirectory);

    /// <summary>
    /// Makes sure a copy of <paramref name="model"/> is in this host's memory, loading it from the files in the background
    /// when it is not (GPUs may fetch from it while it fills). A keep-alive drops it after that long without a use. A new
    /// copy is registered at once but, with <paramref name="deferFill"/>, read from the files only on <see cref="StartFill"/>,
    /// so the loads it feeds are timed from the first byte read.
    /// </summary>
    [Alias("EnsureCopy")]
    Task<HostCopyStatus> EnsureCopy(string model, string modelDirectory, double? keepAliveSeconds, bool deferFill);

    /// <summary>Starts reading a copy made with a deferred fill; nothing when it is reading or read already.</summary>
    [Alias("StartFill")]
    Task StartFill(string model);

    /// <summary>Marks a copy used now (resets its keep-alive); false when there is no copy.</summary>
    [Alias("Touch")]
    Task<bool> Touch(string model);

    /// <summary>Drops the copy of <paramref name="model"/>; false when there was none.</summary>
    [Alias("Drop")]
    Task<bool> Drop(string model);

    /// <summary>The copies held and their bytes.</summary>
    [Alias("GetStatus")]
    Task<HostMemoryStatus> GetStatus();
}

/// <summary>A model's parameter image shape: its blob sizes (embedding, each layer, head) and layer count.</summary>
[GenerateSerializer, Immutable, Alias("blitz.ImageDescription")]
public sealed record ImageDescription(
    [property: Id(0)] IReadOnlyList<long> BlobSizes,
    [property: Id(1)] int NumLayers,
    [property: Id(2)] long TotalBytes);

/// <summary>
/// One host copy: its model, bytes, whether every blob has landed, how long loading took; <see cref="Cold"/> when the
/// call that returned it made it (a cache miss: the model is being read from the files).
/// </summary>
[GenerateSerializer, Immutable, Alias("blitz.HostCopyStatus")]
public sealed record HostCopyStatus(
    [property: Id(0)] string Host,
    [property: Id(1)] string Model,
    [property: Id(2)] long Bytes,
    [property: Id(3)] bool Complete,
    [property: Id(4)] double LoadSeconds,
    [property: Id(5)] string? Error,
    [property: Id(6)] string SourceId,
    [property: Id(7)] bool Cold = false);

/// <summary>The copies in one host's memory.</summary>
[GenerateSerializer, Immutable, Alias("blitz.HostMemoryStatus")]
public sealed record HostMemoryStatus(
    [property: Id(0)] string Host,
    [property: Id(1)] IReadOnlyList<HostCopyStatus> Copies,
    [property: Id(2)] long MemoryBytes)
{
    /// <summary>Bytes of all copies.</summary>
    public long CopyBytes => Copies.Sum(c => c.Bytes);
}
