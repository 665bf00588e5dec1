using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using Orleans.Streams;

namespace BlitzScale.Client;

/// <summary>
/// What a .NET service needs to use a BlitzScale grid through its Orleans client: deploy models, generate
/// (whole or token by token) and read the grid's status. Register it with
/// <see cref="BlitzScaleClientBuilderExtensions.AddBlitzScaleClient"/>.
/// </summary>
public sealed class BlitzScaleClient(IClusterClient grains)
{
    /// <summary>Deploys <paramref name="model"/> and returns once every instance has started loading.</summary>
    /// <exception cref="ArgumentException">The request is invalid; the message says which part.</exception>
    public Task<ModelStatus> DeployAsync(string model, DeployRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        return Model(model).Deploy(request);
    }

    /// <summary>
    /// Scales <paramref name="model"/> to <see cref="ScaleRequest.Instances"/> instances and returns once every new one has
    /// started loading (Warm ones revive at once). Follow <see cref="WatchAsync"/> to see the layers land.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    /// <exception cref="ArgumentException">The request is invalid; the message says which part.</exception>
    /// <exception cref="InvalidOperationException">Not enough GPUs.</exception>
    public Task<ModelStatus> ScaleAsync(string model, ScaleRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        return Model(model).Scale(request);
    }

    /// <summary>
    /// The events of <paramref name="model"/> from now on (planned chains, layers landing, byte progress, instances serving,
    /// failing, going Warm, evicted, host copies), until <paramref name="cancellationToken"/> is cancelled. The subscription
    /// is made when the enumeration starts; to be sure of the events of a call made next, use <see cref="WatchModelAsync"/>.
    /// </summary>
    public async IAsyncEnumerable<ModelEvent> WatchAsync(string model, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var watch = await WatchModelAsync(model);
        await foreach (var e in watch.ReadAllAsync(cancellationToken)) yield return e;
    }

    /// <summary>
    /// Subscribes to the events of <paramref name="model"/> and returns once the subscription is in place, so no event of
    /// a deploy or scale called afterwards is missed (a subscription made while the call runs can miss its first events).
    /// </summary>
    public Task<ModelEventWatch> WatchModelAsync(string model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        return ModelEventWatch.Start(grains.GetStreamProvider(StreamNames.Provider).GetStream<ModelEvent>(StreamId.Create(StreamNames.ModelEvents, model)));
    }

    /// <summary>Unloads every instance of <paramref name="model"/>.</summary>
    public Task UndeployAsync(string model, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        cancellationToken.ThrowIfCancellationRequested();
        return Model(model).Undeploy();
    }

    /// <summary>
    /// Streams a generation: first the prompt, then each token as it is produced, the last with its finish reason. The model
    /// grain picks the instance; the tokens stream from that instance to this client.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    /// <exception cref="ArgumentException">The request can never be served (too long, bad sampling options).</exception>
    public async IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(
        string model, GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(request);
        await foreach (var update in grains.GenerateAsync(model, request, cancellationToken).WithCancellation(cancellationToken))
            yield return update;
    }

    /// <summary>Generates and returns the whole result.</summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    /// <exception cref="ArgumentException">The request can never be served.</exception>
    public Task<GenerateResult> GenerateAsync(string model, GenerateRequest request, CancellationToken cancellationToken = default) =>
        GenerateAsync(model, request, onUpdate: null, cancellationToken);

    /// <summary>Generates and returns the whole result, showing <paramref name="onUpdate"/> each update as it arrives.</summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    /// <exception cref="ArgumentException">The request can never be served.</exception>
    public async Task<GenerateResult> GenerateAsync(
        string model, GenerateRequest request, Action<GenerationUpdate>? onUpdate, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        int[] promptIds = [];
        string instance = "", finish = "";
        bool emulated = false;
        var output = new List<int>();
        var text = new StringBuilder();
        double first = 0, last = 0;
        await foreach (var update in GenerateStreamingAsync(model, request, cancellationToken))
        {
            onUpdate?.Invoke(update);
            if (update.PromptIds is { } ids) promptIds = ids;
            if (update.Instance is { } name)
            {
                instance = name;
                emulated = update.Emulated;
            }
            if (update.TokenId >= 0)
            {
                last = clock.Elapsed.TotalMilliseconds;
                if (output.Count == 0) first = last;
                output.Add(update.TokenId);
            }
            text.Append(update.Text);
            if (update.Finish is { } f) finish = f;
        }
        double rate = output.Count > 1 ? (output.Count - 1) / ((last - first) / 1000.0) : 0;
        return new GenerateResult(model, instance, promptIds, [.. output], text.ToString(), first, rate, finish, emulated);
    }

    /// <summary>How long <see cref="StatusAsync"/> waits for one host or one model before showing it as unanswered.</summary>
    public static readonly TimeSpan StatusPartTimeout = TimeSpan.FromSeconds(10);

    /// <summary>One deployed model, asked of its model grain alone (no other host or model is asked).</summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    public Task<ModelStatus> GetModelStatusAsync(string model, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        return Model(model).GetStatus().WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Hosts with their GPUs, and every deployed model with its instances. A host or a model that does not answer within
    /// <see cref="StatusPartTimeout"/> (its silo is down, or not yet declared dead) does not fail the whole status: the host
    /// is listed with <see cref="HostStatus.Unreachable"/> saying why, the model is named in <see cref="ClusterStatus.Unanswered"/>.
    /// </summary>
    public async Task<ClusterStatus> StatusAsync(CancellationToken cancellationToken = default)
    {
        var hosts = await grains.GetGrain<ITopologyGrain>(GrainKeys.Cluster).GetHosts().WaitAsync(cancellationToken);
        var unanswered = new List<string>();
        var hostStatuses = await Task.WhenAll(hosts.Select(async h =>
        {
            try
            {
                var gpus = await Part(Task.WhenAll(Enumerable.Range(0, h.Gpus).Select(i => grains.GetGrain<IGpuGrain>(new GpuKey(h.Host, i).ToString()).GetStatus())), cancellationToken);
                return new HostStatus(h, gpus);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                return new HostStatus(h, [], Reason(e));
            }
        }));
        var names = await grains.GetGrain<IModelRegistryGrain>(GrainKeys.Cluster).GetModels().WaitAsync(cancellationToken);
        var models = await Task.WhenAll(names.Select(async n =>
        {
            try
            {
                return await Part(Model(n).GetStatus(), cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                lock (unanswered) unanswered.Add($"model {n}: {Reason(e)}");
                return null;
            }
        }));
        var memory = await Task.WhenAll(hostStatuses.Where(h => h.Unreachable is null).Select(async h =>
        {
            try
            {
                return await Part(grains.GetGrain<IHostMemoryGrain>(new HostMemoryKey(h.Host.Host).ToString()).GetStatus(), cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                lock (unanswered) unanswered.Add($"host memory of {h.Host.Host}: {Reason(e)}");
                return null;
            }
        }));
        return new ClusterStatus(hostStatuses, [.. models.OfType<ModelStatus>()], [.. memory.OfType<HostMemoryStatus>()])
        {
            Unanswered = [.. unanswered.Order(StringComparer.Ordinal)],
        };
    }

    // One part of the status, given up on after StatusPartTimeout: a silo that died but is not yet declared dead may never answer.
    private static async Task<T> Part<T>(Task<T> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call.WaitAsync(StatusPartTimeout, cancellationToken);
        }
        catch (TimeoutException) when (!call.IsCompleted)
        {
            throw new TimeoutException($"no answer within {StatusPartTimeout.TotalSeconds:F0} s");
        }
    }

    private static string Reason(Exception e)
    {
        string line = e.Message.Split('\n', 2)[0].Trim();
        return line.Length <= 300 ? line : line[..300] + "…";
    }

    private IModelGrain Model(string model) => grains.GetGrain<IModelGrain>(model);
}
