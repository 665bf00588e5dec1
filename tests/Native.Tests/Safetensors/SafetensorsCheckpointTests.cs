using BlitzScale.Tests.Shared;
using System.Text.Json;
using BlitzScale.Native.Safetensors;

namespace BlitzScale.Native.Tests.Safetensors;

public sealed class SafetensorsCheckpointTests : IDisposable
{
    private const string Shard1 = "model-00001-of-00002.safetensors";
    private const string Shard2 = "model-00002-of-00002.safetensors";
    private const string IndexName = "model.safetensors.index.json";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_sharded_checkpoint_reads_every_tensor_from_the_shard_that_holds_it()
    {
        var embed = TestTensors.F32("embed", 4, 2);
        var norm = TestTensors.BF16("norm", 2);
        var head = TestTensors.F16("head", 2, 4);
        SafetensorsWriter.WriteFile(_dir.File(Shard1), [embed, norm]);
        SafetensorsWriter.WriteFile(_dir.File(Shard2), [head]);
        WriteIndex(("embed", Shard1), ("norm", Shard1), ("head", Shard2));

        using var checkpoint = SafetensorsCheckpoint.Open(_dir.Path);
        Assert.Equal(new[] { _dir.File(Shard1), _dir.File(Shard2) }, checkpoint.Files);
        Assert.Equal(3, checkpoint.Tensors.Count);
        foreach (var (spec, data) in new[] { embed, norm, head })
        {
            Assert.Equal(spec.Shape, checkpoint.Get(spec.Name).Shape);
            Assert.Equal(data, checkpoint.GetBytes(spec.Name).ToArray());
        }
        Assert.Equal(_dir.File(Shard2), checkpoint.FileOf("head").FilePath);
        Assert.True(checkpoint.TryGet("norm", out var info));
        Assert.Equal(2, info.ElementCount);
        Assert.False(checkpoint.TryGet("absent", out _));
    }

    [Fact]
    public void A_single_file_checkpoint_is_used_when_there_is_no_index()
    {
        var w = TestTensors.F32("w", 3);
        SafetensorsWriter.WriteFile(_dir.File("model.safetensors"), [w]);

        using var checkpoint = SafetensorsCheckpoint.Open(_dir.Path);
        Assert.Equal(new[] { _dir.File("model.safetensors") }, checkpoint.Files);
        Assert.Equal(w.Data, checkpoint.GetBytes("w").ToArray());
        var e = Assert.Throws<SafetensorsException>(() => checkpoint.Get("absent"));
        Assert.Equal("absent", e.TensorName);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void A_directory_without_weights_names_both_file_names()
    {
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsCheckpoint.Open(_dir.Path));
        Assert.Equal(_dir.Path, e.FilePath);
        Assert.Contains(_dir.Path, e.Message);
        Assert.Contains(IndexName, e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void A_missing_shard_file_is_named()
    {
        SafetensorsWriter.WriteFile(_dir.File(Shard1), [TestTensors.F32("a", 1)]);
        WriteIndex(("a", Shard1), ("b", Shard2));

        var e = AssertIndexFails("b");
        Assert.Contains(_dir.File(Shard2), e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void A_tensor_missing_from_the_shard_the_index_names_is_rejected()
    {
        SafetensorsWriter.WriteFile(_dir.File(Shard1), [TestTensors.F32("a", 1)]);
        SafetensorsWriter.WriteFile(_dir.File(Shard2), [TestTensors.F32("c", 1)]);
        WriteIndex(("a", Shard1), ("b", Shard2), ("c", Shard2));

        var e = AssertIndexFails("b");
        Assert.Contains($"shard \"{Shard2}\", but that shard does not contain it", e.Message);
    }

    [Fact]
    public void A_tensor_in_a_different_shard_than_the_index_says_is_rejected()
    {
        SafetensorsWriter.WriteFile(_dir.File(Shard1), [TestTensors.F32("a", 1), TestTensors.F32("b", 1)]);
        SafetensorsWriter.WriteFile(_dir.File(Shard2), [TestTensors.F32("c", 1)]);
        WriteIndex(("a", Shard1), ("b", Shard2), ("c", Shard2));

        var e = AssertIndexFails("b");
        Assert.Contains($"but it is in shard \"{Shard1}\"", e.Message);
    }

    [Fact]
    public void A_tensor_in_two_shards_is_rejected_naming_both()
    {
        SafetensorsWriter.WriteFile(_dir.File(Shard1), [TestTensors.F32("a", 1), TestTensors.F32("b", 1)]);
        SafetensorsWriter.WriteFile(_dir.File(Shard2), [TestTensors.F32("b", 1)]);
        WriteIndex(("a", Shard1), ("b", Shard2));

        var e = AssertIndexFails("b");
        Assert.Contains("two shards", e.Message);
        Assert.Contains(_dir.File(Shard1), e.Message);
        Assert.Contains(_dir.File(Shard2), e.Message);
    }

    [Fact]
    public void A_malformed_shard_fails_with_the_shards_own_error()
    {
        SafetensorsWriter.WriteFile(_dir.File(Shard1), [TestTensors.F32("a", 1)]);
        TestTensors.WriteRaw(_dir.File(Shard2), "[]", 0);
        WriteIndex(("a", Shard1), ("b", Shard2));

        var e = Assert.Throws<SafetensorsException>(() => SafetensorsCheckpoint.Open(_dir.Path));
        Assert.Equal(_dir.File(Shard2), e.FilePath);
    }

    [Fact]
    public void A_shard_outside_the_directory_is_refused()
    {
        WriteIndex(("a", "../elsewhere.safetensors"));
        var e = AssertIndexFails("a");
        Assert.Contains("expected a file name in the same directory", e.Message);
    }

    private SafetensorsException AssertIndexFails(string tensor)
    {
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsCheckpoint.Open(_dir.Path));
        Assert.Equal(_dir.File(IndexName), e.FilePath);
        Assert.Equal(tensor, e.TensorName);
        Assert.StartsWith(_dir.File(IndexName), e.Message);
        Assert.Contains($"tensor \"{tensor}\"", e.Message);
        return e;
    }

    private void WriteIndex(params (string Tensor, string Shard)[] weightMap)
    {
        var index = new
        {
            metadata = new { total_size = 0 },
            weight_map = weightMap.ToDictionary(e => e.Tensor, e => e.Shard),
        };
        File.WriteAllText(_dir.File(IndexName), JsonSerializer.Serialize(index));
    }
}
