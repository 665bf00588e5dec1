namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// One model, keyed by its name: deployment, instances and their states, the request queue and the router
/// (least outstanding tokens).
/// </summary>
[Alias("blitz.IModelGrain")]
public interface IModelGrain : IGrainWithStringKey
{
    /// <summary>Places and loads instances; returns once every instance has started loading.</summary>
    /// <exception cref="ArgumentException">The request is invalid (no instances, unknown GPU, bad model directory).</exception>
    /// <exception cref="InvalidOperationException">Not enough GPUs.</exception>
    [Alias("Deploy")]
    Task<ModelStatus> Deploy(DeployRequest request);

    /// <summary>
    /// Scales to <see cref="ScaleRequest.Instances"/> serving instances: up revives Warm instances first, then plans
    /// chains for new ones and tells their shards what to fetch from whom; down stops the newest, keeping them Warm.
    /// Returns once every new instance has started loading (watch <see cref="StreamNames.ModelEvents"/> or the status).
    /// </summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    /// <exception cref="ArgumentException">The request is invalid (count out of range, unknown GPU, GPU list of the wrong length).</exception>
    /// <exception cref="InvalidOperationException">Not enough free GPUs.</exception>
    [Alias("Scale")]
    Task<ModelStatus> Scale(ScaleRequest request);

    /// <summary>Unloads every instance.</summary>
    [Alias("Undeploy")]
    Task Undeploy();

    /// <summary>Instances, queue and throughput.</summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    [Alias("GetStatus")]
    Task<ModelStatus> GetStatus();

    /// <summary>Routes a generation to an instance and streams its updates.</summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    [Alias("Generate")]
    IAsyncEnumerable<GenerationUpdate> Generate(GenerateRequest request, CancellationToken cancellationToken = default);
}
