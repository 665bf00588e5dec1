using System.CommandLine;
using System.Net;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Security;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Silo;
using BlitzScale.Silo.Api;
using Microsoft.Extensions.DependencyInjection;
using SiloOptions = BlitzScale.Silo.SiloOptions;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// <c>blitz serve</c>, as <c>vllm serve</c>: a grid with the model deployed and the OpenAI-compatible API on a port —
/// an embedded one-host grid, or with <c>--cluster</c> a running one (the API then runs in this process, as a client).
/// Ready when <c>/health</c> answers 200; Ctrl+C stops it.
/// </summary>
internal static class ServeCommand
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Hugging Face Llama model directory (default: the synthetic tiny model `generate` uses)" };
        var name = new Option<string?>("--name") { Description = "The model's name in the API (default: the directory's last segment)" };
        var port = new Option<int>("--port") { Description = "The API's port", DefaultValueFactory = _ => SiloOptions.DefaultHttpPort };
        var keys = new Option<string[]>("--api-key") { Description = "A key clients must send as Authorization: Bearer KEY (repeatable); without one the API listens on 127.0.0.1 only", Arity = ArgumentArity.ZeroOrMore };
        var cluster = GridOptions.Cluster();
        var clusterId = GridOptions.ClusterId();
        var tls = new TlsArguments();
        var command = new Command("serve", "Serve a model through the OpenAI-compatible HTTP API (/v1/completions, /v1/chat/completions, …), as vllm serve does")
        {
            model, name, port, keys, cluster, clusterId,
        };
        foreach (var option in tls.All) command.Options.Add(option);
        tls.Certificate.Description = "Serve the API over HTTPS with this certificate (PFX, or PEM with its key or --tls-key; password in " +
            TlsCertificates.PasswordVariable + "); with --cluster it also connects to the cluster's gateways over mutual TLS";
        command.SetAction((parse, cancellation) => CliErrors.Run(() => Run(
            new ServeOptions(parse.GetValue(model), parse.GetValue(name), parse.GetValue(port), parse.GetValue(keys) ?? [], parse.GetValue(cluster), parse.GetValue(clusterId)!, tls.Read(parse)),
            Console.Out, cancellation)));
        return command;
    }

    /// <summary>Serves until <paramref name="cancellation"/> fires (Ctrl+C), then stops and returns 0.</summary>
    /// <param name="options">What to serve, where.</param>
    /// <param name="output">Where the URL is printed once the API is ready.</param>
    /// <param name="cancellation">Stops serving.</param>
    /// <param name="ready">Told the API's base URL once ready (tests).</param>
    public static async Task<int> Run(ServeOptions options, TextWriter output, CancellationToken cancellation, Action<Uri>? ready = null)
    {
        string path = ModelSource.Resolve(options.ModelDirectory);
        string model = ModelNames.For(path, options.Name);
        int siloPort = FreePorts.Next(), gatewayPort = FreePorts.Next();
        var api = new SiloOptions
        {
            SiloPort = siloPort, PrimarySiloPort = siloPort, GatewayPort = gatewayPort, Dashboard = false,
            HttpPort = options.Port, ApiKeys = options.ApiKeys,
            TlsCertificate = options.Tls?.Certificate, TlsKey = options.Tls?.Key, TlsCa = options.Tls?.Authority,
        };
        var errors = SiloOptionsValidator.Validate(api);
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors.Select(e => e.Replace("HttpPort", "--port").Replace("ApiKeys", "--api-key"))));
        var tls = options.Tls is { } files ? TlsArguments.Load(files, server: true) : null;

        await using var grid = options.Cluster is null ? await EmbeddedAsync(api, cancellation) : await ConnectedAsync(api, options, tls, cancellation);
        await EnsureDeployedAsync(grid.Grains, model, path, cancellation);
        var local = new Uri($"{(tls is null ? "http" : "https")}://127.0.0.1:{options.Port}/");
        await WaitUntilHealthyAsync(local, tls, cancellation);
        string access = options.ApiKeys.Count > 0 ? $"on every interface, {options.ApiKeys.Count} API key(s)" : "on 127.0.0.1 only: no --api-key given";
        await output.WriteLineAsync($"blitz: serving model \"{model}\" at {local}v1 ({access}); Ctrl+C stops");
        await output.FlushAsync(cancellation);
        ready?.Invoke(local);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the way to stop serving, not an error.
        }
        return 0;
    }

    // The embedded one-host grid, with the API on the silo.
    private static async Task<ServeGrid> EmbeddedAsync(SiloOptions api, CancellationToken cancellation)
    {
        string secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var silo = await EmbeddedStart.StartAsync((siloPort, gatewayPort) =>
        {
            api.SiloPort = api.PrimarySiloPort = siloPort;
            api.GatewayPort = gatewayPort;
            return BlitzSilo.Build(api, new GpuHostOptions { Host = GridSession.EmbeddedHost, Gpus = 1, ClusterSecret = secret });
        }, cancellation);
        return new ServeGrid(silo.Services.GetRequiredService<IGrainFactory>(), async () =>
        {
            await silo.StopAsync(CancellationToken.None);
            await silo.DisposeAsync();
        });
    }

    // A running cluster: an Orleans client, and the API beside it in this process.
    private static async Task<ServeGrid> ConnectedAsync(SiloOptions api, ServeOptions options, TlsCertificates? tls, CancellationToken cancellation)
    {
        var session = await GridSession.Open(new GridConnection(options.Cluster, options.ClusterId, GridConnection.DefaultConnectTimeout, options.Tls), cancellation);
        var grains = session.Grains;
        var server = new HttpApiServer(api.ApiListenUrl!, api.ApiKeys, grains, session.Loggers, c => GridHealth.ProblemAsync(grains, c), tls?.Certificate);
        try
        {
            await server.StartAsync(cancellation);
        }
        catch
        {
            await server.DisposeAsync();
            await session.DisposeAsync();
            throw;
        }
        return new ServeGrid(grains, async () =>
        {
            await server.StopAsync(CancellationToken.None);
            await server.DisposeAsync();
            await session.DisposeAsync();
        });
    }

    private static async Task EnsureDeployedAsync(IGrainFactory grains, string model, string path, CancellationToken cancellation)
    {
        var router = grains.GetGrain<IModelGrain>(model);
        try
        {
            await router.GetStatus().WaitAsync(cancellation);
            return;
        }
        catch (KeyNotFoundException)
        {
            // Not deployed yet: one instance.
        }
        await router.Deploy(new DeployRequest { ModelDirectory = Path.GetFullPath(path), Instances = 1 }).WaitAsync(cancellation);
    }

    private static async Task WaitUntilHealthyAsync(Uri api, TlsCertificates? tls, CancellationToken cancellation)
    {
        using var handler = new HttpClientHandler();
        // Our own API: its certificate is ours, so trust is what the TLS options say, not the system's roots.
        if (tls is not null) handler.ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate is not null && tls.Untrusted(certificate) is null;
        using var http = new HttpClient(handler) { BaseAddress = api, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + ReadyTimeout;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var health = await http.GetAsync("health", cancellation);
                if (health.StatusCode == HttpStatusCode.OK) return;
                last = await health.Content.ReadAsStringAsync(cancellation);
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(100, cancellation);
        }
        throw new InvalidOperationException($"the API at {api} is not healthy after {ReadyTimeout.TotalSeconds:F0} s: {last}");
    }

    private sealed class ServeGrid(IGrainFactory grains, Func<Task> stop) : IAsyncDisposable
    {
        public IGrainFactory Grains { get; } = grains;

        public async ValueTask DisposeAsync() => await stop();
    }
}

/// <summary>The options of <c>blitz serve</c>; <paramref name="Tls"/>: HTTPS for the API, and mutual TLS to a <paramref name="Cluster"/>.</summary>
internal sealed record ServeOptions(string? ModelDirectory, string? Name, int Port, IReadOnlyList<string> ApiKeys, string? Cluster, string ClusterId, TlsFiles? Tls = null);
