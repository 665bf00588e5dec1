using BlitzScale.Grains.Serving;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>A silo reads a model's tokenizer once for all its shards, again when the files change, and never keeps one that failed.</summary>
public sealed class TokenizerCacheTests : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly string _model;

    public TokenizerCacheTests()
    {
        _model = _root.File("tiny");
        SyntheticModelWriter.Write(_model, SyntheticShapes.Get("tiny"), DType.F32, 7);
    }

    [Fact]
    public void Shards_of_one_model_share_one_read()
    {
        var cache = new TokenizerCache();
        using var first = ModelDirectory.Open(_model);
        using var second = ModelDirectory.Open(_model);

        var a = cache.Get(first);
        var b = cache.Get(second);

        Assert.Same(a, b);
        Assert.Equal(1, cache.Reads);
        Assert.Equal(first.LoadTokenizer().Encode("hello world"), a.Encode("hello world"));
    }

    [Fact]
    public void A_changed_tokenizer_file_is_read_again()
    {
        var cache = new TokenizerCache();
        using var model = ModelDirectory.Open(_model);
        var before = cache.Get(model);
        string file = Path.Combine(_model, "tokenizer.model");
        File.SetLastWriteTimeUtc(file, File.GetLastWriteTimeUtc(file) + TimeSpan.FromSeconds(5));

        var after = cache.Get(model);

        Assert.NotSame(before, after);
        Assert.Equal(2, cache.Reads);
    }

    [Fact]
    public void A_broken_tokenizer_fails_each_time_and_is_not_kept()
    {
        var cache = new TokenizerCache();
        using var model = ModelDirectory.Open(_model);
        string file = Path.Combine(_model, "tokenizer.model");
        byte[] good = File.ReadAllBytes(file);
        File.WriteAllBytes(file, []);

        var error = Assert.Throws<ArgumentException>(() => cache.Get(model));
        Assert.Contains("tokenizer.model", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => cache.Get(model));

        File.WriteAllBytes(file, good);
        Assert.Equal(model.LoadTokenizer().Encode("hello"), cache.Get(model).Encode("hello"));
    }

    public void Dispose() => _root.Dispose();
}
