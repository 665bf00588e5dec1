using BlitzScale.Native.Transport;

namespace BlitzScale.Native.Cuda.Ipc;

/// <summary>Settings of <see cref="CudaIpcBlobTransport"/>; the same meaning and defaults as the other transports' clients.</summary>
public sealed class CudaIpcTransportOptions
{
    /// <summary>How long connecting, the handshake and mapping the server's image may take before the source counts as lost (10 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TcpTransportOptions.DefaultConnectTimeout;

    /// <summary>
    /// How long a started transfer waits for the next chunk frame before the source counts as lost, as
    /// <see cref="TcpTransportOptions.IdleTimeout"/> (60 s by default).
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TcpTransportOptions.DefaultIdleTimeout;

    /// <summary>
    /// Whether the server must send every chunk frame with its MAC under the session key (it says so in its hello); a
    /// server that does not is refused. On by default, as <see cref="TcpTransportOptions.RequireChunkAuthentication"/>.
    /// </summary>
    public bool RequireChunkAuthentication { get; set; } = true;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "the connect timeout must be positive");
        if (IdleTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "the idle timeout must be positive");
    }
}
