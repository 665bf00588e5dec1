using System.Text.Json;
using BlitzScale.Tests.Shared;
using Xunit.Abstractions;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary><c>blitz generate</c> end to end: real process, real model files.</summary>
public sealed class GenerateCommandTests(CliFixture fixture, ITestOutputHelper output) : IClassFixture<CliFixture>
{
    [Fact]
    public async Task JsonOutputOnStories260KMatchesTheGolden()
    {
        if (RepositoryPaths.Stories260K is not { } model)
        {
            output.WriteLine(RepositoryPaths.SharedMissing);
            return;
        }
        var golden = JsonDocument.Parse(File.ReadLines(Path.Combine(model, "goldens.jsonl")).First()).RootElement;
        var promptIds = golden.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var ids = golden.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        var result = await BlitzProcess.Run(fixture.Cache, "generate", "--model", model, "--prompt", golden.GetProperty("prompt").GetString()!,
            "--max-tokens", (ids.Length - promptIds.Length).ToString(), "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal(model, json.GetProperty("model").GetString());
        Assert.Equal(promptIds, json.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(ids[promptIds.Length..], json.GetProperty("output_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.StartsWith(", there was a little girl named Lily.", json.GetProperty("text").GetString());
        Assert.True(json.GetProperty("ttft_ms").GetDouble() > 0);
        Assert.True(json.GetProperty("tokens_per_second").GetDouble() > 0);
    }

    [Fact]
    public async Task WithoutAModelItCreatesTheSyntheticModelOnceAndIsDeterministic()
    {
        var first = await BlitzProcess.Run(fixture.Cache, "generate", "--prompt", "hello", "--max-tokens", "12", "--json");
        var second = await BlitzProcess.Run(fixture.Cache, "generate", "--prompt", "hello", "--max-tokens", "12", "--json");

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("synthetic tiny model", first.Stderr);
        var a = JsonDocument.Parse(first.Stdout).RootElement;
        var b = JsonDocument.Parse(second.Stdout).RootElement;
        Assert.Equal(12, a.GetProperty("output_ids").GetArrayLength());
        Assert.Equal(a.GetProperty("output_ids").ToString(), b.GetProperty("output_ids").ToString());
        Assert.Single(Directory.GetDirectories(Path.Combine(fixture.Cache, "models")));
    }

    [Fact]
    public async Task PlainOutputStartsWithThePrompt()
    {
        var result = await BlitzProcess.Run(fixture.Cache, "generate", "--prompt", "Zoo", "--max-tokens", "5");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith("Zoo", result.Stdout);
        Assert.Contains("5 tokens", result.Stderr);
    }

    [Fact]
    public async Task MissingModelDirectoryIsAClearError()
    {
        var result = await BlitzProcess.Run(fixture.Cache, "generate", "--model", "/nonexistent/model", "--prompt", "x");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("model directory not found: /nonexistent/model", result.Stderr);
    }

    [Fact]
    public async Task RequestBeyondTheContextIsAClearError()
    {
        var result = await BlitzProcess.Run(fixture.Cache, "generate", "--prompt", "x", "--max-tokens", "5000");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("context is 1024 tokens", result.Stderr);
    }

    [Fact]
    public async Task NegativeTemperatureIsAClearError()
    {
        var result = await BlitzProcess.Run(fixture.Cache, "generate", "--prompt", "x", "--temperature", "-1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("temperature", result.Stderr);
    }
}
