using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Serving;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Grains.Serving;

/// <summary>Everything a serving shard holds on its host: the files, the parameter image, the tokenizer and the instance server.</summary>
internal sealed class LoadedInstance : IAsyncDisposable
{
    private LoadedInstance(ModelDirectory model, ParameterImage image, LlamaTextTokenizer tokenizer, InstanceServer server)
    {
        Model = model;
        Image = image;
        Tokenizer = tokenizer;
        Server = server;
    }

    public ModelDirectory Model { get; }
    public ParameterImage Image { get; }
    public LlamaTextTokenizer Tokenizer { get; }
    public InstanceServer Server { get; }

    /// <summary>Loads the parameters blob by blob from the host's files (reporting progress) and starts serving. Runs off the grain scheduler.</summary>
    public static LoadedInstance Load(ModelDirectory model, BatchPolicy policy, DeviceExecutor device, Action<int> layersLoaded)
    {
        var image = ParameterImage.Allocate(model.Layout);
        try
        {
            for (int blob = 0; blob < model.Layout.Blobs.Count; blob++)
            {
                ImageLoader.LoadBlob(model.Checkpoint, image, blob);
                layersLoaded(image.LoadedLayerPrefix);
            }
            var tokenizer = model.LoadTokenizer();
            var server = new InstanceServer(new CpuEngine(image), policy, device, model.Generation.EosTokenId);
            return new LoadedInstance(model, image, tokenizer, server);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Image.Dispose();
        Model.Dispose();
    }
}
