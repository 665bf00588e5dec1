using System.Net.Sockets;
using System.Text;

namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>Where a shared-memory server listens: <c>{directory}/{name}.sock</c>, and binding it over a stale socket file.</summary>
internal static class UnixSocketPath
{
    /// <summary>Longest socket path Linux takes: <c>sun_path</c> holds 108 bytes, the last one the terminating NUL.</summary>
    public const int MaxPathBytes = 107;

    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="ArgumentException">The name is not a plain file name, or the path is too long for a Unix socket.</exception>
    public static string For(string directory, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') || name.StartsWith('.'))
            throw new ArgumentException($"server name \"{name}\" may hold only ASCII letters, digits, '.', '-' and '_', and may not start with '.'", nameof(name));
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"the shared-memory directory {full} does not exist");
        var path = Path.Combine(full, name + ".sock");
        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
            throw new ArgumentException($"socket path {path} is longer than the {MaxPathBytes} bytes a Unix socket address holds; use a shorter directory or name", nameof(directory));
        return path;
    }

    /// <summary>
    /// Binds and listens on <paramref name="path"/>. A socket file left by a process that died is replaced; one that
    /// a live server still answers on is not.
    /// </summary>
    /// <exception cref="IOException">A live server already listens there.</exception>
    public static Socket Listen(string path, int backlog)
    {
        if (File.Exists(path))
        {
            if (Answers(path))
                throw new IOException($"another shared-memory server already listens on {path}");
            File.Delete(path);
        }
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(backlog);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private static bool Answers(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
