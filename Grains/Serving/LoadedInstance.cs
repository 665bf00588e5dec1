using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Serving;
using BlitzScale.Native.Tokenization;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>Everything a serving shard holds on its host: the files, the parameter image, the tokenizer, the engine and the instance server.</summary>
internal sealed class LoadedInstance : IAsyncDisposable
{
    private readonly ILayerEngine _engine;

    private LoadedInstance(ModelDirectory model, ParameterImage image, TextTokenizer tokenizer, ILayerEngine engine, InstanceServer server,
        double ratedPrefillTokensPerSecond)
    {
        Model = model;
        Image = image;
        Tokenizer = tokenizer;
        _engine = engine;
        Server = server;
        RatedPrefillTokensPerSecond = ratedPrefillTokensPerSecond;
    }

    public ModelDirectory Model { get; }
    public ParameterImage Image { get; }
    public TextTokenizer Tokenizer { get; }
    public InstanceServer Server { get; }

    /// <summary>The prefill capacity it was rated at before its first request (<see cref="PrefillRating"/>).</summary>
    public double RatedPrefillTokensPerSecond { get; }

    /// <summary>
    /// Rates <paramref name="engine"/> (<see cref="PrefillRating"/>, before any request) and starts serving it over a filled image
    /// (the instance then owns the engine, the image and the files; if it cannot start, the engine is disposed). A LiveTail's
    /// <paramref name="server"/>, already running its partner's tails on the engine, becomes the instance's server (and is
    /// disposed with the engine if it cannot start).
    /// </summary>
    public static async Task<LoadedInstance> StartAsync(ModelDirectory model, ParameterImage image, BatchPolicy policy, DeviceExecutor device,
        ILayerEngine engine, KvBlockAllocator? sharedBlocks = null, TextTokenizer? tokenizer = null, InstanceServer? server = null)
    {
        try
        {
            // Before the first request: the autoscaler counts on it until it has measured this model under load.
            double rated = await PrefillRating.Of(engine, policy, device, sharedBlocks);
            // The shard read its tokenizer before its load began; it is not read twice.
            tokenizer ??= model.LoadTokenizer();
            server ??= new InstanceServer(engine, policy, device, model.Generation.EosTokenId, sharedBlocks);
            return new LoadedInstance(model, image, tokenizer, engine, server, rated);
        }
        catch
        {
            if (server is not null) await server.DisposeAsync();
            engine.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _engine.Dispose();
        Image.Dispose();
        Model.Dispose();
    }
}
