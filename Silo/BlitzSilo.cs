using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Silo;

/// <summary>
/// Builds and runs a BlitzScale silo, one per GPU host: <c>dotnet run --project Silo -- --host h1 --gpus 2</c>
/// or <c>blitz silo …</c>; the CLI also embeds one for its single-host grid.
/// </summary>
public static class BlitzSilo
{
    /// <summary>
    /// Builds a silo from appsettings.json (in the program's folder), environment variables and
    /// <paramref name="args"/>; its logging levels come from the same configuration.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The options are invalid, or no cluster secret is configured; the message lists every problem, one a line.
    /// </exception>
    public static WebApplication Build(string[] args)
    {
        var (silo, host, tls, errors) = LoadStandalone(args);
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(args));
        return SiloApplication.Create(silo, host, tls, SiloApplication.ProgramLogging, SiloConfiguration.Build(args), configure: null);
    }

    /// <summary>
    /// Builds a silo from options, ignoring appsettings.json and the environment (the CLI's embedded silo);
    /// it logs warnings and errors only, to stderr.
    /// </summary>
    /// <param name="silo">Clustering, ports, dashboard.</param>
    /// <param name="host">This host and its GPUs.</param>
    /// <param name="configure">Further silo configuration, applied last.</param>
    /// <exception cref="ArgumentException">
    /// The options are invalid, or a TLS file cannot be used; the message lists every problem, one a line.
    /// </exception>
    public static WebApplication Build(SiloOptions silo, GpuHostOptions host, Action<ISiloBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(host);
        var errors = SiloConfiguration.Validate(silo, host);
        TlsCertificates? tls = null;
        if (errors.Count == 0) (tls, errors) = SiloTls.Load(silo);
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));
        return SiloApplication.Create(silo, host, tls, SiloApplication.EmbeddedLogging, configuration: null, configure);
    }

    /// <summary>
    /// Runs a silo until SIGTERM or Ctrl+C and returns 0; invalid options (or no cluster secret, or an unusable TLS file)
    /// print every problem to stderr and return 2, a silo that fails to start prints why and returns 1.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var (silo, host, tls, errors) = LoadStandalone(args);
        if (errors.Count > 0)
        {
            foreach (string error in errors) await Console.Error.WriteLineAsync($"silo: invalid option: {error}");
            return 2;
        }
        await using var app = SiloApplication.Create(silo, host, tls, SiloApplication.ProgramLogging, SiloConfiguration.Build(args), configure: null);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(SiloLog.Category);
        try
        {
            await app.StartAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"silo: could not start: {e.GetBaseException().Message}");
            return 1;
        }
        string clustering = silo.Clustering == SiloOptions.RedisClustering
            ? $"redis ({silo.Redis}, advertised {silo.AdvertisedAddress}, cluster {silo.ClusterId})"
            : $"localhost (primary port {silo.PrimarySiloPort}, cluster {silo.ClusterId})";
        SiloLog.Started(logger, host.Host, host.Gpus, ComputeBackends.Describe(host), clustering, silo.SiloPort, silo.GatewayPort, silo.DashboardUrl ?? "off");
        if (tls is not null) SiloLog.TlsOn(logger, tls.Certificate.Subject, tls.Authority is null ? "the same pinned certificate" : $"a certificate signed by {tls.Authority[0].Subject}");
        await app.WaitForShutdownAsync();
        SiloLog.Stopped(logger, host.Host);
        return 0;
    }

    // A silo run on its own: valid options, a configured cluster secret, and usable TLS files when TLS is on.
    private static (SiloOptions Silo, GpuHostOptions Host, TlsCertificates? Tls, IReadOnlyList<string> Errors) LoadStandalone(string[] args)
    {
        var (silo, host, errors) = SiloConfiguration.Load(args);
        if (errors.Count == 0) errors = SiloConfiguration.StandaloneErrors(host);
        TlsCertificates? tls = null;
        if (errors.Count == 0) (tls, errors) = SiloTls.Load(silo);
        return (silo, host, tls, errors);
    }
}
