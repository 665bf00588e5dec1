using BlitzScale.Native.Safetensors;
using BlitzScale.Native.Tensors;
using Xunit.Abstractions;

namespace BlitzScale.Native.Tests.Safetensors;

public sealed class Stories260KTests(ITestOutputHelper output)
{
    [Fact]
    public void The_shared_stories260K_checkpoint_has_47_f32_tensors()
    {
        string? shared = FindShared();
        string path = shared is null ? "" : Path.Combine(shared, "models", "stories260K", "model.safetensors");
        if (shared is null || !File.Exists(path))
        {
            // xunit 2 has no dynamic skip without extra packages: pass, and say so in the output.
            output.WriteLine("../shared not found: skipped");
            return;
        }

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(47, file.Tensors.Count);
        Assert.All(file.Tensors.Values, t => Assert.Equal(DType.F32, t.DType));
        var embed = file.Tensors["model.embed_tokens.weight"];
        Assert.Equal(new long[] { 512, 64 }, embed.Shape);
        Assert.Equal(512 * 64 * 4, file.GetBytes(embed.Name).Length);
    }

    // The repository root is the first directory above the test binaries that holds BlitzScale.sln.
    private static string? FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BlitzScale.sln")))
            {
                string shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                return Directory.Exists(shared) ? shared : null;
            }
        }
        return null;
    }
}
