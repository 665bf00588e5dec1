using System.Text.Json.Nodes;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests;

/// <summary>
/// The grid with "tiny" (one instance on host-b/gpu0) and "small-kv" (the same model with 4 KV blocks, also on
/// host-b/gpu0). host-a/gpu0 is where a one-instance deploy without GPUs goes: the failing deploys aim there.
/// </summary>
public sealed class ErrorFixture : GridFixture
{
    public const string Tiny = "tiny";
    public const string SmallKv = "small-kv";
    public const int SmallKvBlocks = 4;

    protected override async Task OnDeployedAsync()
    {
        await Model(Tiny).Deploy(new DeployRequest { ModelDirectory = SyntheticModel, Gpus = ["host-b/gpu0"] });
        await Model(SmallKv).Deploy(new DeployRequest { ModelDirectory = SyntheticModel, Gpus = ["host-b/gpu0"], KvBlocks = SmallKvBlocks });
    }
}

/// <summary>Bad requests and bad deployments fail with messages that say what was wrong, while good requests keep being served.</summary>
public sealed class ErrorTests(ErrorFixture grid, ITestOutputHelper output) : IClassFixture<ErrorFixture>
{
    private const int GoodTokens = 48;

    [Fact]
    public async Task A_model_that_is_not_deployed_is_reported_as_such()
    {
        var good = Good();

        var error = await Assert.ThrowsAsync<KeyNotFoundException>(() => Streamed.Collect(grid.Client.GenerateAsync("no-such-model", new GenerateRequest { Prompt = "Hi" })));
        var status = await Assert.ThrowsAsync<KeyNotFoundException>(() => grid.Model("no-such-model").GetStatus());

        output.WriteLine(error.ToString());
        Assert.Contains("\"no-such-model\" is not deployed", error.Message);
        Assert.Contains("\"no-such-model\" is not deployed", status.Message);
        await CheckGood(good);
    }

    [Fact]
    public async Task Deploying_a_directory_that_does_not_exist_names_it_and_loads_nothing()
    {
        string missing = grid.ScratchPath("no-such-model-dir");
        var good = Good();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => grid.Model("missing").Deploy(new DeployRequest { ModelDirectory = missing }));

        output.WriteLine(error.ToString());
        Assert.Contains(missing, error.Message);
        await CheckNothingLoaded("missing");
        await CheckGood(good);
    }

    [Theory]
    [InlineData("{ \"hidden_size\": ", "not valid JSON")]
    [InlineData("hidden_size=-5", "hidden_size")]
    [InlineData("num_key_value_heads=3", "num_key_value_heads")]
    public async Task Deploying_a_directory_with_a_corrupt_config_names_the_file_and_field_and_loads_nothing(string corruption, string expected)
    {
        string directory = CopyOfSyntheticModel("corrupt-" + Guid.NewGuid().ToString("N")[..8]);
        string config = Path.Combine(directory, "config.json");
        if (corruption.Split('=') is [var field, var value])
        {
            var json = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
            json[field] = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            File.WriteAllText(config, json.ToJsonString());
        }
        else
        {
            File.WriteAllText(config, corruption);
        }
        var good = Good();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => grid.Model("corrupt").Deploy(new DeployRequest { ModelDirectory = directory }));

        output.WriteLine(error.ToString());
        Assert.Contains(config, error.Message);
        Assert.Contains(expected, error.Message);
        await CheckNothingLoaded("corrupt");
        await CheckGood(good);
    }

    [Theory]
    [InlineData("delete tokenizer.model", "tokenizer.model")]
    [InlineData("empty tokenizer.model", "tokenizer.model: the file is empty (0 bytes)")]
    [InlineData("garbage tokenizer.model", "tokenizer.model: not a valid SentencePiece model")]
    [InlineData("truncate model.safetensors", "model.safetensors")]
    public async Task Deploying_a_directory_with_a_bad_tokenizer_or_weights_file_is_refused_before_anything_loads(string corruption, string expected)
    {
        string model = "bad-files-" + Guid.NewGuid().ToString("N")[..8];
        string directory = CopyOfSyntheticModel(model);
        var (action, file) = corruption.Split(' ') is [var a, var f] ? (a, Path.Combine(directory, f)) : throw new ArgumentException(corruption);
        switch (action)
        {
            case "delete": File.Delete(file); break;
            case "empty": File.WriteAllBytes(file, []); break;
            case "garbage": File.WriteAllBytes(file, [1, 2, 3, 4, 5]); break;
            case "truncate": File.WriteAllBytes(file, File.ReadAllBytes(file)[..6]); break;
        }
        var good = Good();

        // Two instances, as the user who found it deployed: neither may start, so neither can feed the other.
        var error = await Assert.ThrowsAsync<ArgumentException>(() => grid.Model(model).Deploy(new DeployRequest { ModelDirectory = directory, Instances = 2 }));

        output.WriteLine(error.ToString());
        Assert.Contains(expected, error.Message);
        Assert.Contains(directory, error.Message);
        Assert.DoesNotContain("Object reference", error.Message);
        await CheckNothingLoaded(model);
        await CheckGood(good);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task Max_tokens_below_one_is_refused_with_the_one_rule(int maxTokens)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Streamed.Collect(grid.Client.GenerateAsync(ErrorFixture.Tiny,
            new GenerateRequest { Prompt = "Hi", MaxTokens = maxTokens })));
        Assert.Equal($"max tokens: expected at least 1, found {maxTokens}", error.Message);
    }

    [Theory]
    [InlineData(1025, 1)]
    [InlineData(5, 5000)]
    public async Task A_request_beyond_the_context_is_an_argument_error_naming_the_context(int promptLength, int maxTokens)
    {
        int[] prompt = [1, .. Enumerable.Range(0, promptLength - 1).Select(i => 100 + i % 300)];
        var good = Good();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Streamed.Collect(grid.Client.GenerateAsync(ErrorFixture.Tiny, 
            new GenerateRequest { PromptIds = prompt, MaxTokens = maxTokens })));

        output.WriteLine(error.ToString());
        Assert.Contains("context is 1024 tokens", error.Message);
        Assert.Contains($"{promptLength + maxTokens} were requested", error.Message);
        await CheckGood(good);
    }

    [Fact]
    public async Task A_request_that_can_never_fit_the_kv_cache_says_how_many_blocks_it_needs_and_the_instance_has()
    {
        var good = Good();
        int[] prompt = [1, 100, 101, 102, 103];

        // 5 + 100 positions need 7 blocks of 16.
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Streamed.Collect(grid.Client.GenerateAsync(ErrorFixture.SmallKv, 
            new GenerateRequest { PromptIds = prompt, MaxTokens = 100, StopAtEos = false })));
        output.WriteLine(error.ToString());
        Assert.Contains("needs 7 KV blocks", error.Message);
        Assert.Contains($"the instance has {ErrorFixture.SmallKvBlocks}", error.Message);

        // 5 + 59 positions fit its 4 blocks exactly.
        var fits = await Streamed.Collect(grid.Client.GenerateAsync(ErrorFixture.SmallKv, new GenerateRequest { PromptIds = prompt, MaxTokens = 59, StopAtEos = false }));
        Assert.Equal(59, fits.TokenIds.Length);
        var status = await grid.Model(ErrorFixture.SmallKv).GetStatus();
        Assert.Equal(ErrorFixture.SmallKvBlocks, Assert.Single(status.Instances).KvBlocksTotal);
        await CheckGood(good);
    }

    [Fact]
    public async Task A_deploy_that_fails_on_its_second_gpu_unloads_its_first()
    {
        // A hog leaves host-b/gpu1 too little memory for the second instance; host-a/gpu1 has room for the first.
        var hog = await grid.Model("hog").Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = ["host-b/gpu1"], KvBlocks = 50_000 });
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => grid.Model("split").Deploy(new DeployRequest
            {
                ModelDirectory = grid.SyntheticModel,
                Instances = 2,
                Gpus = ["host-a/gpu1", "host-b/gpu1"],
                KvBlocks = 20_000,
            }));

            output.WriteLine(error.ToString());
            Assert.Contains("host-b/gpu1", error.Message);
            var first = await grid.Gpu("host-a/gpu1").GetStatus();
            Assert.Empty(first.Residents);
            Assert.Equal(0, first.MemoryUsedBytes);
            var second = await grid.Gpu("host-b/gpu1").GetStatus();
            Assert.Equal([hog.Instances[0].Shard], second.Residents.Select(r => r.Shard));
            Assert.DoesNotContain("split", await grid.Registry.GetModels());
        }
        finally
        {
            await grid.Model("hog").Undeploy();
        }
    }

    [Fact]
    public async Task Undeploy_frees_the_gpu_memory_and_forgets_the_model_and_it_can_be_deployed_again()
    {
        const string model = "transient";
        await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = ["host-a/gpu1"] });
        var served = await Streamed.Collect(grid.Client.GenerateAsync(model, new GenerateRequest { Prompt = "Hi", MaxTokens = 4, StopAtEos = false }));
        Assert.Equal(4, served.TokenIds.Length);
        Assert.Contains(model, await grid.Registry.GetModels());
        var loaded = await grid.Gpu("host-a/gpu1").GetStatus();
        Assert.True(loaded.MemoryUsedBytes > 0, "a serving instance holds no GPU memory");

        await grid.Model(model).Undeploy();

        var freed = await grid.Gpu("host-a/gpu1").GetStatus();
        Assert.Empty(freed.Residents);
        Assert.Equal(0, freed.MemoryUsedBytes);
        Assert.DoesNotContain(model, await grid.Registry.GetModels());
        await Assert.ThrowsAsync<KeyNotFoundException>(() => grid.Model(model).GetStatus());

        // The same name deploys again, elsewhere, and serves.
        var again = await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = ["host-b/gpu1"] });
        try
        {
            Assert.Equal("host-b/gpu1", Assert.Single(again.Instances).Gpu);
            var second = await Streamed.Collect(grid.Client.GenerateAsync(model, new GenerateRequest { Prompt = "Hi", MaxTokens = 4, StopAtEos = false }));
            Assert.Equal(served.AllIds, second.AllIds);
        }
        finally
        {
            await grid.Model(model).Undeploy();
        }
        Assert.Equal(0, (await grid.Gpu("host-b/gpu1").GetStatus()).MemoryUsedBytes);
    }

    // A good generation on "tiny", started before the failing call so that the two overlap.
    private Task<Streamed> Good() => Streamed.Collect(grid.Client.GenerateAsync(ErrorFixture.Tiny, 
        new GenerateRequest { Prompt = "Once upon a time", MaxTokens = GoodTokens, StopAtEos = false }));

    private static async Task CheckGood(Task<Streamed> good)
    {
        var served = await good;
        Assert.Equal(GoodTokens, served.TokenIds.Length);
        Assert.Equal("length", served.Finish);
    }

    private async Task CheckNothingLoaded(string model)
    {
        foreach (string key in new[] { "host-a/gpu0", "host-a/gpu1" })
        {
            GpuStatus gpu = await grid.Gpu(key).GetStatus();
            Assert.Empty(gpu.Residents);
            Assert.Equal(0, gpu.MemoryUsedBytes);
        }
        Assert.DoesNotContain(model, await grid.Registry.GetModels());
        await Assert.ThrowsAsync<KeyNotFoundException>(() => grid.Model(model).GetStatus());
    }

    private string CopyOfSyntheticModel(string name)
    {
        string directory = grid.ScratchPath(name);
        Directory.CreateDirectory(directory);
        foreach (string file in Directory.GetFiles(grid.SyntheticModel))
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        return directory;
    }
}
