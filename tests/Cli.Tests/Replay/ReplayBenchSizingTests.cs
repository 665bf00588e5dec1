using BlitzScale.Cli.Benchmarks;

namespace BlitzScale.Cli.Tests.Replay;

/// <summary>
/// What the replay benches size from the model: the prompt cap (the paper's 4,095 within the model's context) and the emulated
/// GPU (2 GiB, or what one instance's parameters and KV blocks need with an eighth to spare).
/// </summary>
public sealed class ReplayBenchSizingTests
{
    private const long GiB = 1L << 30;

    [Fact]
    public void An_instance_that_fits_in_two_GiB_gets_two()
    {
        Assert.Equal(MulticastTestbed.DefaultGpuMemoryGiB, MulticastTestbed.GpuMemoryFor(438_000_000 + 300_000_000));
        Assert.Equal(MulticastTestbed.DefaultGpuMemoryGiB, MulticastTestbed.GpuMemoryFor(0));
    }

    [Fact]
    public void A_larger_instance_gets_its_bytes_and_an_eighth_in_quarter_GiB()
    {
        // llama3-8b-narrow (502,009,856 B) with 4,224 KV blocks for 16 prompts of 4,095 tokens and 128 out (2,214,592,512 B):
        // the refusal the 2 GiB GPU gave before.
        long instance = 502_009_856 + 2_214_592_512;
        double gib = MulticastTestbed.GpuMemoryFor(instance);

        Assert.Equal(3.0, gib);
        Assert.True(gib * GiB >= instance * 1.125, $"{gib} GiB for {instance} B");
        Assert.Equal(0, gib * 4 % 1);
    }

    [Fact]
    public void The_prompt_cap_is_the_papers_within_the_models_context()
    {
        // llama3-8b-narrow: 8,192 positions hold 4,095 + 128.
        Assert.Equal(4095, ReplayBenchOptions.MaxPromptFor(8192, null));
        Assert.Equal(4095, ReplayBenchOptions.MaxPromptFor(8192, 2048));
        // stories110m: 1,024 positions leave 896 beside the default 128 out, 768 beside 256.
        Assert.Equal(896, ReplayBenchOptions.MaxPromptFor(1024, null));
        Assert.Equal(768, ReplayBenchOptions.MaxPromptFor(1024, 256));
        // An output cap beyond the context leaves the cap at 1, and the plan's own check names the options.
        Assert.Equal(1, ReplayBenchOptions.MaxPromptFor(1024, 2000));
    }
}
