namespace BlitzScale.Grains.Interfaces.Security;

/// <summary>Which of the <see cref="TlsFiles"/> a problem is with.</summary>
public enum TlsFilePart
{
    /// <summary><see cref="TlsFiles.Certificate"/>.</summary>
    Certificate,
    /// <summary><see cref="TlsFiles.Key"/>.</summary>
    Key,
    /// <summary><see cref="TlsFiles.Authority"/>.</summary>
    Authority,
}
