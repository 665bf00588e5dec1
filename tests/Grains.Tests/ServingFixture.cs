using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Tokenization;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests;

/// <summary>
/// The grid with two instances (the default spread: one per host) of the synthetic model, "tiny", and of
/// stories260K, "stories", when ../shared has it.
/// </summary>
public sealed class ServingFixture : GridFixture
{
    public const string Tiny = "tiny";
    public const string Stories = "stories";
    /// <summary>The synthetic model with a context of <see cref="LongContext"/>: a generation to its end takes seconds, for cancelling.</summary>
    public const string Long = "long";
    public const int LongContext = 8192;

    /// <summary>What Deploy returned for "tiny".</summary>
    public ModelStatus TinyDeployed { get; private set; } = null!;

    /// <summary>What Deploy returned for "stories", or null without ../shared.</summary>
    public ModelStatus? StoriesDeployed { get; private set; }

    /// <summary>stories260K's directory, or null.</summary>
    public string? StoriesDirectory { get; } = RepositoryPaths.Stories260K;

    /// <summary>stories260K's golden generations (empty without ../shared).</summary>
    public IReadOnlyList<GoldenCase> Goldens { get; private set; } = [];

    /// <summary>stories260K's tokenizer, or null.</summary>
    public LlamaTextTokenizer? StoriesTokenizer { get; private set; }

    protected override async Task OnDeployedAsync()
    {
        TinyDeployed = await Model(Tiny).Deploy(new DeployRequest { ModelDirectory = SyntheticModel, Instances = 2 });
        string longModel = ScratchPath("tiny-long");
        SyntheticModelWriter.Write(longModel, SyntheticShapes.Get("tiny") with { MaxPositionEmbeddings = LongContext }, DType.F32, SyntheticSeed);
        await Model(Long).Deploy(new DeployRequest { ModelDirectory = longModel, Gpus = ["host-a/gpu1"], KvBlocks = LongContext / 16 });
        if (StoriesDirectory is { } dir)
        {
            StoriesDeployed = await Model(Stories).Deploy(new DeployRequest { ModelDirectory = dir, Instances = 2 });
            await WaitUntilServing(Stories);
            Goldens = GoldenCase.Load(Path.Combine(dir, "goldens.jsonl"));
            var generation = GenerationConfig.Load(dir, LlamaConfig.Load(dir));
            StoriesTokenizer = LlamaTextTokenizer.Load(dir, generation.BosTokenId, generation.EosTokenId);
        }
    }
}
