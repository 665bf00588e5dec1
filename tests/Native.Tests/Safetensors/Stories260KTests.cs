using BlitzScale.Native.Safetensors;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Safetensors;

public sealed class Stories260KTests
{
    [SkippableFact]
    public void The_shared_stories260K_checkpoint_has_47_f32_tensors()
    {
        string dir = SharedData.RequireStories260K();
        string path = Path.Combine(dir, "model.safetensors");

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(47, file.Tensors.Count);
        Assert.All(file.Tensors.Values, t => Assert.Equal(DType.F32, t.DType));
        var embed = file.Tensors["model.embed_tokens.weight"];
        Assert.Equal(new long[] { 512, 64 }, embed.Shape);
        Assert.Equal(512 * 64 * 4, file.GetBytes(embed.Name).Length);
    }
}
