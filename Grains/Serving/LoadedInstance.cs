using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Serving;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Grains.Serving;

/// <summary>Everything a serving shard holds on its host: the files, the parameter image, the tokenizer and the instance server.</summary>
internal sealed class LoadedInstance : IAsyncDisposable
{
    private LoadedInstance(ModelDirectory model, ParameterImage image, TextTokenizer tokenizer, InstanceServer server)
    {
        Model = model;
        Image = image;
        Tokenizer = tokenizer;
        Server = server;
    }

    public ModelDirectory Model { get; }
    public ParameterImage Image { get; }
    public TextTokenizer Tokenizer { get; }
    public InstanceServer Server { get; }

    /// <summary>Starts serving over a filled image (the instance then owns it and the files).</summary>
    public static LoadedInstance Start(ModelDirectory model, ParameterImage image, BatchPolicy policy, DeviceExecutor device)
    {
        var tokenizer = model.LoadTokenizer();
        var server = new InstanceServer(new CpuEngine(image), policy, device, model.Generation.EosTokenId);
        return new LoadedInstance(model, image, tokenizer, server);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Image.Dispose();
        Model.Dispose();
    }
}
