using BlitzScale.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Silo.Tests;

/// <summary>What each kind of silo writes to stderr, read from its built logger filters without starting it.</summary>
public sealed class SiloLoggingTests
{
    [Fact]
    public void An_embedded_silo_keeps_retries_and_orleans_chatter_off_its_programs_stderr()
    {
        using var app = BlitzSilo.Build(new SiloOptions { Dashboard = false, Api = false }, new GpuHostOptions { Host = "embedded", Gpus = 1 });
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();

        // Orleans' placement retries log each attempt through Polly at Warning and the last failure at Error, with its
        // stack: the CLI reports the failure itself, in one line. Seen in CI as 2.6 KB of stderr under a one-line error.
        Assert.False(loggers.CreateLogger("Polly").IsEnabled(LogLevel.Critical));
        Assert.False(loggers.CreateLogger("Orleans.Runtime.Catalog").IsEnabled(LogLevel.Warning));
        Assert.True(loggers.CreateLogger("BlitzScale.Grains.Serving.ModelGrain").IsEnabled(LogLevel.Warning));
    }

    [Fact]
    public void A_silo_program_shows_its_operator_retries_and_its_own_lines()
    {
        using var app = BlitzSilo.Build(["--dashboard", "false", "--cluster-secret", "logging-test-secret-0123456789"]);
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();

        Assert.True(loggers.CreateLogger("Polly").IsEnabled(LogLevel.Warning));
        Assert.True(loggers.CreateLogger("BlitzScale.Grains.Serving.ModelGrain").IsEnabled(LogLevel.Information));
    }
}
