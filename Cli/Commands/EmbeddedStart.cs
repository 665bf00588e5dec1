using System.Net.Sockets;
using BlitzScale.Silo;
using Microsoft.Extensions.Hosting;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// Starts an embedded silo on loopback ports <see cref="FreePorts"/> hands out, with fresh ones when a port was taken in
/// between. A port is free when asked and released at once, and another process's outgoing connection, which draws from the
/// same ephemeral range, can take it before the silo binds it: a CI run on 7 December saw <c>blitz generate</c> end with
/// "Address already in use" while other tests ran.
/// </summary>
internal static class EmbeddedStart
{
    /// <summary>Starts tried before the last address-in-use failure is the command's error.</summary>
    public const int Attempts = 3;

    /// <summary>
    /// Builds a host on a fresh silo port and gateway port (<paramref name="build"/>'s arguments) and starts it; again, on other
    /// ports, when a port was in use, up to <see cref="Attempts"/> times. A host that failed to start is disposed.
    /// </summary>
    public static async Task<THost> StartAsync<THost>(Func<int, int, THost> build, CancellationToken cancellationToken) where THost : IHost
    {
        ArgumentNullException.ThrowIfNull(build);
        for (int attempt = 1; ; attempt++)
        {
            var host = build(FreePorts.Next(), FreePorts.Next());
            try
            {
                await host.StartAsync(cancellationToken);
                return host;
            }
            catch (Exception e)
            {
                if (host is IAsyncDisposable disposable) await disposable.DisposeAsync();
                else host.Dispose();
                if (attempt >= Attempts || !IsAddressInUse(e)) throw;
            }
        }
    }

    /// <summary>Whether <paramref name="error"/>, or an exception inside it, is a socket's "address already in use".</summary>
    public static bool IsAddressInUse(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }) return true;
            if (error is AggregateException aggregate && aggregate.InnerExceptions.Any(IsAddressInUse)) return true;
        }
        return false;
    }
}
