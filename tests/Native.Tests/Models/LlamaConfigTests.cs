using BlitzScale.Tests.Shared;
using System.Text.Json.Nodes;
using BlitzScale.Native.Models;
using BlitzScale.Native.Tests.Safetensors;

namespace BlitzScale.Native.Tests.Models;

/// <summary>config.json parsing: every field, the defaults, and errors that name the file and the field.</summary>
public sealed class LlamaConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string ConfigPath => _dir.File("config.json");

    [Fact]
    public void A_stories_like_llama_config_parses_every_field()
    {
        var json = StoriesLike();
        json["max_position_embeddings"] = 512;
        json["rope_theta"] = 10000.0;
        json["bos_token_id"] = 1;
        json["eos_token_id"] = 2;
        var config = Load(json);
        Assert.Equal(new LlamaConfig
        {
            Architecture = "LlamaForCausalLM",
            HiddenSize = 64,
            IntermediateSize = 172,
            NumLayers = 5,
            NumHeads = 8,
            NumKvHeads = 4,
            HeadDim = 8,
            VocabSize = 512,
            MaxPositionEmbeddings = 512,
            RmsNormEps = 1e-5,
            RopeTheta = 10000.0,
            RopeScaling = null,
            TieWordEmbeddings = true,
            AttentionBias = false,
            BosTokenId = 1,
            EosTokenId = 2,
        }, config);
        Assert.Equal(64, config.QueryDim);
        Assert.Equal(32, config.KvDim);
    }

    [Fact]
    public void Optional_fields_take_their_defaults()
    {
        var json = StoriesLike();
        json.Remove("num_key_value_heads");
        json.Remove("tie_word_embeddings");
        var config = Load(json);
        Assert.Equal(8, config.NumKvHeads); // = heads
        Assert.Equal(8, config.HeadDim); // = hidden / heads
        Assert.Equal(2048, config.MaxPositionEmbeddings);
        Assert.Equal(10000.0, config.RopeTheta);
        Assert.False(config.TieWordEmbeddings);
        Assert.False(config.AttentionBias);
        Assert.Null(config.RopeScaling);
        Assert.Null(config.BosTokenId);
        Assert.Null(config.EosTokenId);
    }

    [Fact]
    public void An_explicit_head_dim_overrides_hidden_over_heads()
    {
        var json = StoriesLike();
        json["head_dim"] = 16;
        Assert.Equal(16, Load(json).HeadDim);
    }

    [Fact]
    public void A_missing_required_field_names_the_file_and_the_field()
    {
        var json = StoriesLike();
        json.Remove("num_hidden_layers");
        var error = Fails(json);
        Assert.Contains(ConfigPath, error.Message);
        Assert.Contains("num_hidden_layers", error.Message);
        Assert.Contains("missing", error.Message);
        Assert.Equal(ConfigPath, error.FilePath);
    }

    [Fact]
    public void An_unsupported_architecture_is_named_with_the_supported_ones()
    {
        var json = StoriesLike();
        json["architectures"] = new JsonArray("GPT2LMHeadModel");
        var error = Fails(json);
        Assert.Contains("GPT2LMHeadModel", error.Message);
        foreach (string supported in new[] { "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM" })
            Assert.Contains(supported, error.Message);
    }

    [Fact]
    public void Qwen2_defaults_to_attention_bias_and_an_explicit_field_wins()
    {
        var json = StoriesLike();
        json["architectures"] = new JsonArray("Qwen2ForCausalLM");
        var config = Load(json);
        Assert.Equal("Qwen2ForCausalLM", config.Architecture);
        Assert.True(config.AttentionBias);

        json["attention_bias"] = false;
        Assert.False(Load(json).AttentionBias);
    }

    [Fact]
    public void Mistral_is_accepted()
    {
        var json = StoriesLike();
        json["architectures"] = new JsonArray("MistralForCausalLM");
        var config = Load(json);
        Assert.Equal("MistralForCausalLM", config.Architecture);
        Assert.False(config.AttentionBias);
    }

    [Fact]
    public void Kv_heads_that_do_not_divide_the_heads_are_rejected()
    {
        var json = StoriesLike();
        json["num_key_value_heads"] = 3;
        var error = Fails(json);
        Assert.Contains("num_key_value_heads", error.Message);
        Assert.Contains("3", error.Message);
        Assert.Contains("8", error.Message);
    }

    [Fact]
    public void Llama3_rope_scaling_is_parsed()
    {
        var json = StoriesLike();
        json["rope_theta"] = 500000.0;
        json["rope_scaling"] = new JsonObject
        {
            ["rope_type"] = "llama3",
            ["factor"] = 8.0,
            ["low_freq_factor"] = 1.0,
            ["high_freq_factor"] = 4.0,
            ["original_max_position_embeddings"] = 8192,
        };
        var config = Load(json);
        Assert.Equal(500000.0, config.RopeTheta);
        Assert.Equal(new RopeScaling(8.0, 1.0, 4.0, 8192), config.RopeScaling);
    }

    [Fact]
    public void An_unsupported_rope_type_is_rejected()
    {
        var json = StoriesLike();
        json["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 };
        var error = Fails(json);
        Assert.Contains("rope_scaling.rope_type", error.Message);
        Assert.Contains("yarn", error.Message);
        Assert.Contains("llama3", error.Message);
    }

    [Fact]
    public void An_eos_list_takes_the_first_id()
    {
        var json = StoriesLike();
        json["eos_token_id"] = new JsonArray(128001, 128008, 128009);
        Assert.Equal(128001, Load(json).EosTokenId);
    }

    [Fact]
    public void Invalid_json_names_the_file()
    {
        File.WriteAllText(ConfigPath, "{ \"hidden_size\": 64,");
        var error = Assert.Throws<ModelConfigException>(() => LlamaConfig.Load(_dir.Path));
        Assert.Contains(ConfigPath, error.Message);
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void A_missing_config_names_the_file()
    {
        var error = Assert.Throws<ModelConfigException>(() => LlamaConfig.Load(_dir.Path));
        Assert.Contains(ConfigPath, error.Message);
    }

    [SkippableFact]
    public void The_shared_stories260K_config_is_read()
    {
        string dir = SharedData.RequireStories260K();
        var config = LlamaConfig.Load(dir);
        Assert.Equal(64, config.HiddenSize);
        Assert.Equal(5, config.NumLayers);
        Assert.Equal(8, config.NumHeads);
        Assert.Equal(4, config.NumKvHeads);
        Assert.Equal(8, config.HeadDim);
        Assert.Equal(512, config.VocabSize);
        Assert.True(config.TieWordEmbeddings);
    }

    private static JsonObject StoriesLike() => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["hidden_size"] = 64,
        ["intermediate_size"] = 172,
        ["num_hidden_layers"] = 5,
        ["num_attention_heads"] = 8,
        ["num_key_value_heads"] = 4,
        ["vocab_size"] = 512,
        ["rms_norm_eps"] = 1e-5,
        ["hidden_act"] = "silu",
        ["tie_word_embeddings"] = true,
    };

    private LlamaConfig Load(JsonObject json)
    {
        File.WriteAllText(ConfigPath, json.ToJsonString());
        return LlamaConfig.Load(_dir.Path);
    }

    private ModelConfigException Fails(JsonObject json)
    {
        File.WriteAllText(ConfigPath, json.ToJsonString());
        return Assert.Throws<ModelConfigException>(() => LlamaConfig.Load(_dir.Path));
    }
}
