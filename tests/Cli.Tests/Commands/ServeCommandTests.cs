using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using BlitzScale.Cli.Commands;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Silo;
using BlitzScale.Tests.Shared;
using Xunit.Abstractions;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary><c>blitz serve</c> in this process: ready once healthy, serving the model by its name, stopped by Ctrl+C (the token).</summary>
public sealed class ServeCommandTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Serve_deploys_the_model_answers_once_healthy_and_stops_when_cancelled()
    {
        using var dir = new TempDirectory();
        string model = dir.File("tiny");
        SyntheticModelWriter.Write(model, SyntheticShapes.Get("tiny"), DType.F32, 7);
        int port = FreePorts.Next();
        using var stop = new CancellationTokenSource();
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var output = new StringWriter();
        var serving = ServeCommand.Run(new ServeOptions(model, "served", port, ["sk-serve"], null, "blitzscale"), output, stop.Token, ready.SetResult);

        var url = await ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(new Uri($"http://127.0.0.1:{port}/"), url);
        Assert.Contains($"serving model \"served\" at http://127.0.0.1:{port}/v1", output.ToString());
        using var http = new HttpClient { BaseAddress = url };
        using (var health = await http.GetAsync("health")) Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = new StringContent("""{"model": "served", "prompt": "Hi", "max_tokens": 4, "temperature": 0, "ignore_eos": true}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-serve");
        using var completion = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
        var body = JsonNode.Parse(await completion.Content.ReadAsStringAsync())!;
        Assert.Equal(4, (int)body["usage"]!["completion_tokens"]!);

        await stop.CancelAsync();
        Assert.Equal(0, await serving.WaitAsync(TimeSpan.FromSeconds(60)));
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("health"));
    }

    [Fact]
    public async Task A_serve_process_stops_on_SIGTERM_as_on_ctrl_c()
    {
        // docker stop, systemd and Kubernetes send SIGTERM. The embedded silo's own handler used to take it, stop the silo and
        // cancel the runtime's exit, so the process lived on (serving nothing) until a SIGKILL. timeout(1) sends SIGTERM after
        // 8 s and SIGKILL 30 s later: 124 is its code when the command ended on the SIGTERM, 137 when it had to be killed.
        using var cache = new TempDirectory();
        int port = FreePorts.Next();
        var start = new System.Diagnostics.ProcessStartInfo("timeout") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "-k", "30", "-s", "TERM", "8", "dotnet", Path.Combine(AppContext.BaseDirectory, "blitz.dll"), "serve", "--port",
            port.ToString(System.Globalization.CultureInfo.InvariantCulture) }) start.ArgumentList.Add(arg);
        start.Environment["BLITZSCALE_CACHE"] = cache.Path;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var process = System.Diagnostics.Process.Start(start)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            log.WriteLine($"exited with {process.ExitCode} after {clock.Elapsed}");

            Assert.Contains("serving model", await stdout);
            Assert.True(process.ExitCode == 124, $"exit code {process.ExitCode}; stderr: {await stderr}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Serve_with_a_TLS_certificate_answers_over_https_only()
    {
        using var dir = new TempDirectory();
        using var ca = new TestCertificates("serve-ca");
        TestCertificates.WritePem(ca.Issue("serve"), dir.File("serve.crt"), dir.File("serve.key"));
        var tls = new Grains.Interfaces.Security.TlsFiles(dir.File("serve.crt"), dir.File("serve.key"), ca.WriteAuthority(dir.File("ca.pem")));
        int port = FreePorts.Next();
        using var stop = new CancellationTokenSource();
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var output = new StringWriter();
        // The shipped stories260K: no model to write.
        var serving = ServeCommand.Run(new ServeOptions(null, "tls-served", port, [], null, "blitzscale", tls), output, stop.Token, ready.SetResult);

        var url = await ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(new Uri($"https://127.0.0.1:{port}/"), url);
        Assert.Contains($"at https://127.0.0.1:{port}/v1", output.ToString());
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca.Authority);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                return chain.Build(certificate!);
            },
        };
        using var https = new HttpClient(handler) { BaseAddress = url };
        var models = JsonNode.Parse(await https.GetStringAsync("v1/models"))!;
        Assert.Equal("tls-served", (string)models["data"]![0]!["id"]!);
        using var plain = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync($"http://127.0.0.1:{port}/v1/models"));

        await stop.CancelAsync();
        Assert.Equal(0, await serving.WaitAsync(TimeSpan.FromSeconds(60)));
    }
}
