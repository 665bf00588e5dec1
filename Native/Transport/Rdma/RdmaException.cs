namespace BlitzScale.Native.Transport.Rdma;

/// <summary>A verbs call failed; the message names the call and the error.</summary>
public class RdmaException : Exception
{
    /// <summary>Creates the exception; <paramref name="message"/> names the call and what went wrong.</summary>
    public RdmaException(string message, int errno, Exception? innerException = null)
        : base(message, innerException)
    {
        Errno = errno;
    }

    /// <summary>The errno value the call reported (0 when it reported none).</summary>
    public int Errno { get; }
}

/// <summary>RDMA cannot be used on this machine; <see cref="Reason"/> says precisely why (as <see cref="RdmaDevices.Probe"/> does).</summary>
public sealed class RdmaUnavailableException(string reason)
    : RdmaException($"RDMA unavailable: {reason}", 0)
{
    /// <summary>Why, e.g. "libibverbs.so.1 could not be loaded …" or "mlx5_0 port 1 is Down".</summary>
    public string Reason { get; } = reason;
}
