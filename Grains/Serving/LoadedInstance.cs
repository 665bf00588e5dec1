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

    private LoadedInstance(ModelDirectory model, ParameterImage image, TextTokenizer tokenizer, ILayerEngine engine, InstanceServer server)
    {
        Model = model;
        Image = image;
        Tokenizer = tokenizer;
        _engine = engine;
        Server = server;
    }

    public ModelDirectory Model { get; }
    public ParameterImage Image { get; }
    public TextTokenizer Tokenizer { get; }
    public InstanceServer Server { get; }

    /// <summary>Starts serving <paramref name="engine"/> over a filled image (the instance then owns the engine, the image and the files).</summary>
    public static LoadedInstance Start(ModelDirectory model, ParameterImage image, BatchPolicy policy, DeviceExecutor device, ILayerEngine engine,
        KvBlockAllocator? sharedBlocks = null, TextTokenizer? tokenizer = null)
    {
        try
        {
            // The shard read its tokenizer before its load began; it is not read twice.
            tokenizer ??= model.LoadTokenizer();
            var server = new InstanceServer(engine, policy, device, model.Generation.EosTokenId, sharedBlocks);
            return new LoadedInstance(model, image, tokenizer, engine, server);
        }
        catch
        {
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
