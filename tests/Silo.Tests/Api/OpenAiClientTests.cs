using System.Diagnostics;
using System.Text.Json.Nodes;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Silo.Tests.Api;

/// <summary>
/// The official <c>openai</c> npm client against the API (Api/openai/client.mjs): compatibility as users meet it.
/// Installs the client into a temporary folder; skipped, visibly, where node or npm or the package is not available.
/// </summary>
public sealed class OpenAiClientTests(OpenApiSilo silo) : IClassFixture<OpenApiSilo>
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(3);

    [SkippableFact]
    public async Task The_openai_npm_client_completes_streams_chats_lists_and_sees_errors_by_status()
    {
        using var dir = new TempDirectory();
        File.Copy(Path.Combine(RepositoryPaths.Root, "tests", "Silo.Tests", "Api", "openai", "client.mjs"), dir.File("client.mjs"));
        var install = await RunAsync("npm", dir.Path, InstallTimeout, "install", "--no-audit", "--no-fund", "--loglevel=error", "openai");
        Skip.If(install is null, "npm is not installed: the openai client test did not run");
        Skip.If(install.Value.ExitCode != 0, $"npm install openai failed (no registry here?): the openai client test did not run. {install.Value.Stderr}");

        var run = await RunAsync("node", dir.Path, TimeSpan.FromMinutes(2), "client.mjs", $"http://127.0.0.1:{silo.Port}/v1", OpenApiSilo.TinyModel);
        Assert.NotNull(run);
        Assert.True(run.Value.ExitCode == 0, run.Value.Stderr);
        var seen = JsonNode.Parse(run.Value.Stdout)!;

        Assert.Equal("text_completion", (string)seen["completion"]!["object"]!);
        Assert.Equal("length", (string)seen["completion"]!["finish"]!);
        Assert.Equal(6, (int)seen["completion"]!["usage"]!["completion_tokens"]!);
        Assert.Equal((string)seen["completion"]!["text"]!, (string)seen["stream"]!["text"]!);
        Assert.Equal(6, (int)seen["stream"]!["usage"]!["completion_tokens"]!);
        Assert.True((int)seen["stream"]!["chunks"]! > 2);
        Assert.Equal("chat.completion", (string)seen["chat"]!["object"]!);
        Assert.Equal("assistant", (string)seen["chat"]!["role"]!);
        Assert.Equal((string)seen["chat"]!["content"]!, (string)seen["chatStream"]!["content"]!);
        Assert.Equal([OpenApiSilo.LongModel, OpenApiSilo.TinyModel], seen["models"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(404, (int)seen["notFound"]!["status"]!);
        Assert.Equal("NotFoundError", (string)seen["notFound"]!["type"]!);
        Assert.Equal(400, (int)seen["badRequest"]!["status"]!);
        Assert.Equal("BadRequestError", (string)seen["badRequest"]!["type"]!);
        Assert.Equal("max_tokens", (string?)seen["badRequest"]!["param"]);
    }

    /// <summary>The program's exit code and output, or null when it cannot be started (not installed).</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)?> RunAsync(string program, string directory, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var limit = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                return (-1, await stdout, $"{program} ran past {timeout.TotalSeconds:F0} s. {await stderr}");
            }
            return (process.ExitCode, await stdout, await stderr);
        }
    }
}
