using System.Net.Sockets;
using BlitzScale.Cli.Commands;
using Microsoft.Extensions.Hosting;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>An embedded silo whose port was taken between asking and binding starts on fresh ports; any other failure is the command's.</summary>
public sealed class EmbeddedStartTests
{
    // What Orleans throws when its listener cannot bind (AddressInUseException around the socket's error).
    private static Exception InUse() => new InvalidOperationException("Address already in use", new SocketException((int)SocketError.AddressAlreadyInUse));

    [Fact]
    public async Task A_port_taken_in_between_is_replaced_by_fresh_ones_and_the_failed_host_is_disposed()
    {
        var hosts = new List<FakeHost>();
        var started = await EmbeddedStart.StartAsync((silo, gateway) =>
        {
            var host = new FakeHost(silo, gateway, hosts.Count == 0 ? InUse() : null);
            hosts.Add(host);
            return host;
        }, CancellationToken.None);

        Assert.Equal(2, hosts.Count);
        Assert.Same(hosts[1], started);
        Assert.True(hosts[0].Disposed);
        Assert.False(hosts[1].Disposed);
    }

    [Fact]
    public async Task Another_failure_is_thrown_at_once()
    {
        int built = 0;
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EmbeddedStart.StartAsync((silo, gateway) =>
        {
            built++;
            return new FakeHost(silo, gateway, new InvalidOperationException("the model directory is gone"));
        }, CancellationToken.None));

        Assert.Equal("the model directory is gone", error.Message);
        Assert.Equal(1, built);
    }

    [Fact]
    public async Task Ports_in_use_every_time_give_the_last_error_after_the_attempts()
    {
        int built = 0;
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EmbeddedStart.StartAsync((silo, gateway) =>
        {
            built++;
            return new FakeHost(silo, gateway, InUse());
        }, CancellationToken.None));

        Assert.True(EmbeddedStart.IsAddressInUse(error));
        Assert.Equal(EmbeddedStart.Attempts, built);
    }

    [Fact]
    public void Address_in_use_is_found_inside_wrappers_and_nothing_else_is_taken_for_it()
    {
        Assert.True(EmbeddedStart.IsAddressInUse(new AggregateException(new TimeoutException(), InUse())));
        Assert.False(EmbeddedStart.IsAddressInUse(new SocketException((int)SocketError.ConnectionRefused)));
        Assert.False(EmbeddedStart.IsAddressInUse(null));
    }

    private sealed class FakeHost(int siloPort, int gatewayPort, Exception? failure) : IHost
    {
        public int SiloPort { get; } = siloPort;
        public int GatewayPort { get; } = gatewayPort;
        public bool Disposed { get; private set; }
        public IServiceProvider Services => throw new NotSupportedException();
        public Task StartAsync(CancellationToken cancellationToken = default) => failure is null ? Task.CompletedTask : Task.FromException(failure);
        public Task StopAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
        public void Dispose() => Disposed = true;
    }
}
