namespace BlitzScale.Grains.Interfaces.Security;

/// <summary>A TLS file cannot be used: missing, unreadable, not a certificate, without its key, expired; the message names the file.</summary>
public sealed class TlsFileException : ArgumentException
{
    /// <param name="part">Which file.</param>
    /// <param name="path">The file's path.</param>
    /// <param name="problem">What is wrong with it.</param>
    public TlsFileException(TlsFilePart part, string path, string problem)
        : base($"{Describe(part)} \"{path}\": {problem}")
    {
        Part = part;
        Path = path;
    }

    /// <summary>Which file.</summary>
    public TlsFilePart Part { get; }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    private static string Describe(TlsFilePart part) => part switch
    {
        TlsFilePart.Certificate => "TLS certificate",
        TlsFilePart.Key => "TLS key",
        _ => "TLS CA certificate",
    };
}
