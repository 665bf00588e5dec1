using BlitzScale.Grains.Interfaces.Keys;

namespace BlitzScale.Grains.Interfaces.Tests.Keys;

/// <summary>Each typed key: one format, one parse, round trips, and malformed text named in the error.</summary>
public sealed class KeyTests
{
    [Theory]
    [InlineData("h0", 0, "h0/gpu0")]
    [InlineData("host-a", 12, "host-a/gpu12")]
    [InlineData("rack/h1", 3, "rack/h1/gpu3")]
    public void A_gpu_key_formats_and_parses_back(string host, int index, string text)
    {
        var key = new GpuKey(host, index);

        Assert.Equal(text, key.ToString());
        Assert.Equal(key, GpuKey.Parse(text));
        var (parsedHost, parsedIndex) = GpuKey.Parse(text);
        Assert.Equal((host, index), (parsedHost, parsedIndex));
    }

    [Theory]
    [InlineData("")]
    [InlineData("h0")]
    [InlineData("/gpu0")]
    [InlineData("h0/gpu")]
    [InlineData("h0/gpu-1")]
    [InlineData("h0/gpu01")]
    [InlineData("h0/gpu 1")]
    [InlineData("h0/gpu1x")]
    [InlineData("h0/memory")]
    [InlineData("m/0/0")]
    [InlineData("h0/gpu99999999999")]
    public void A_malformed_gpu_key_is_refused_by_name(string text)
    {
        Assert.False(GpuKey.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => GpuKey.Parse(text));
        Assert.Equal($"GPU key \"{text}\" is not of the form \"{{host}}/gpu{{index}}\"", error.Message);
    }

    [Theory]
    [InlineData("m", 0, 0, "m/0/0")]
    [InlineData("llama3-8b", 17, 2, "llama3-8b/17/2")]
    [InlineData("org/model", 1, 0, "org/model/1/0")]
    public void A_shard_key_formats_and_parses_back(string model, int instance, int rank, string text)
    {
        var key = new ShardKey(model, instance, rank);

        Assert.Equal(text, key.ToString());
        Assert.Equal(key, ShardKey.Parse(text));
        var (parsedModel, parsedInstance, parsedRank) = ShardKey.Parse(text);
        Assert.Equal((model, instance, rank), (parsedModel, parsedInstance, parsedRank));
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("m/0")]
    [InlineData("/0/0")]
    [InlineData("m/x/0")]
    [InlineData("m/0/")]
    [InlineData("m/-1/0")]
    [InlineData("m/00/0")]
    [InlineData("h0/gpu0")]
    public void A_malformed_shard_key_is_refused_by_name(string text)
    {
        Assert.False(ShardKey.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => ShardKey.Parse(text));
        Assert.Equal($"layer shard key \"{text}\" is not of the form \"{{model}}/{{instance}}/{{rank}}\"", error.Message);
    }

    [Theory]
    [InlineData("h0", "h0/memory")]
    [InlineData("host-b", "host-b/memory")]
    public void A_host_memory_key_formats_and_parses_back(string host, string text)
    {
        var key = new HostMemoryKey(host);

        Assert.Equal(text, key.ToString());
        Assert.Equal(key, HostMemoryKey.Parse(text));
        Assert.Equal(host, HostMemoryKey.Parse(text).Host);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/memory")]
    [InlineData(" /memory")]
    [InlineData("h0")]
    [InlineData("h0/memory/")]
    [InlineData("h0/gpu0")]
    public void A_malformed_host_memory_key_is_refused_by_name(string text)
    {
        Assert.False(HostMemoryKey.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => HostMemoryKey.Parse(text));
        Assert.Equal($"host memory key \"{text}\" is not of the form \"{{host}}/memory\"", error.Message);
    }

    [Theory]
    [InlineData("m", "h1", "m@h1/memory")]
    [InlineData("org/model", "host-a", "org/model@host-a/memory")]
    [InlineData("a@b", "h", "a@b@h/memory")]
    public void A_host_copy_source_id_formats_and_parses_back(string model, string host, string text)
    {
        var id = new HostCopySourceId(model, host);

        Assert.Equal(text, id.ToString());
        Assert.Equal(id, HostCopySourceId.Parse(text));
        Assert.Equal((model, host), (HostCopySourceId.Parse(text).Model, HostCopySourceId.Parse(text).Host));
    }

    [Theory]
    [InlineData("")]
    [InlineData("m@h1")]
    [InlineData("@h1/memory")]
    [InlineData("m@/memory")]
    [InlineData("h1/memory")]
    [InlineData("m/0/0")]
    public void A_malformed_host_copy_source_id_is_refused_by_name(string text)
    {
        Assert.False(HostCopySourceId.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => HostCopySourceId.Parse(text));
        Assert.Equal($"host copy source id \"{text}\" is not of the form \"{{model}}@{{host}}/memory\"", error.Message);
    }

    [Fact]
    public void Null_text_parses_as_nothing()
    {
        Assert.False(GpuKey.TryParse(null, out _));
        Assert.False(ShardKey.TryParse(null, out _));
        Assert.False(HostMemoryKey.TryParse(null, out _));
        Assert.False(HostCopySourceId.TryParse(null, out _));
    }

    [Fact]
    public void Keys_are_built_only_from_valid_parts()
    {
        Assert.Throws<ArgumentException>(() => new GpuKey("", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GpuKey("h0", -1));
        Assert.Throws<ArgumentException>(() => new ShardKey(" ", 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardKey("m", 0, -1));
        Assert.Throws<ArgumentException>(() => new HostMemoryKey(""));
        Assert.Throws<ArgumentException>(() => new HostCopySourceId("m", "h@1"));
    }

    [Fact]
    public void Random_keys_round_trip_through_their_text()
    {
        var random = new Random(11);
        const string alphabet = "abc-/@._0123456789";
        string Name() => "n" + new string(Enumerable.Range(0, random.Next(0, 10)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
        for (int i = 0; i < 500; i++)
        {
            var gpu = new GpuKey(Name(), random.Next(0, 1000));
            Assert.Equal(gpu, GpuKey.Parse(gpu.ToString()));
            var shard = new ShardKey(Name(), random.Next(0, 1000), random.Next(0, 8));
            Assert.Equal(shard, ShardKey.Parse(shard.ToString()));
            var memory = new HostMemoryKey(Name());
            Assert.Equal(memory, HostMemoryKey.Parse(memory.ToString()));
            string host = Name().Replace("@", "", StringComparison.Ordinal);
            var copy = new HostCopySourceId(Name(), host);
            Assert.Equal(copy, HostCopySourceId.Parse(copy.ToString()));
        }
    }
}
