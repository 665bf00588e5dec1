using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Grains.Serving;
using BlitzScale.Scaling.Serving;
using BlitzScale.Native.Tensors;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>The "tiny" synthetic model in f32, written once per test class, and helpers to read served streams.</summary>
public sealed class ServingModelFixture : IDisposable
{
    public const ulong Seed = 424242;

    private readonly TempDirectory _root = new();

    public ServingModelFixture()
    {
        string directory = _root.File("tiny");
        SyntheticModelWriter.Write(directory, SyntheticShapes.Get("tiny"), DType.F32, Seed);
        Model = LocalModel.Open(directory);
    }

    public LocalModel Model { get; }

    public int EosId => Model.Directory.Generation.EosTokenId;

    /// <summary>A cpu engine over the model with a KV store of <paramref name="kvBlocks"/> blocks of the batch policy's default size; the caller disposes it.</summary>
    public CpuEngine Engine(int kvBlocks) => new(Model.Image, new KvStoreShape(kvBlocks, BatchPolicy.DefaultBlockSize));

    /// <summary>
    /// Reads a whole stream, checking its shape on the way: indexes 0, 1, 2, …, elapsed times that never go back,
    /// and exactly one finish reason, on the last element (a -1 token only as the EOS marker).
    /// </summary>
    public static async Task<(int[] Ids, ServingFinishReason Finish)> Collect(IAsyncEnumerable<ServedToken> stream)
    {
        var ids = new List<int>();
        ServingFinishReason? finish = null;
        double elapsed = 0;
        await foreach (var token in stream)
        {
            Assert.Null(finish);
            Assert.Equal(ids.Count, token.Index);
            Assert.True(token.ElapsedMs >= elapsed, $"token {token.Index} at {token.ElapsedMs} ms came after one at {elapsed} ms");
            elapsed = token.ElapsedMs;
            if (token.TokenId >= 0) ids.Add(token.TokenId);
            else Assert.Equal(ServingFinishReason.Eos, token.Finish);
            finish = token.Finish;
        }
        Assert.NotNull(finish);
        return (ids.ToArray(), finish.Value);
    }

    public void Dispose()
    {
        Model.Dispose();
        _root.Dispose();
    }
}
