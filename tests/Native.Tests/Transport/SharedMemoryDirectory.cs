namespace BlitzScale.Native.Tests.Transport;

/// <summary>A fresh directory for one test's sockets and staging rings: under /dev/shm where it exists, removed afterwards.</summary>
internal sealed class SharedMemoryDirectory : IDisposable
{
    public SharedMemoryDirectory()
    {
        // Short, because a Unix socket path holds at most 107 bytes.
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(root, $"blz-{Guid.NewGuid():N}"[..16]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>File names left in the directory (sockets and rings).</summary>
    public IReadOnlyList<string> Files => [.. Directory.GetFiles(Path).Select(System.IO.Path.GetFileName).Order()!];

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
