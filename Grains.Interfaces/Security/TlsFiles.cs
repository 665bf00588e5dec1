namespace BlitzScale.Grains.Interfaces.Security;

/// <summary>
/// Where a silo's or client's TLS material lies. <see cref="Certificate"/>: a PFX (PKCS#12) file, or a PEM file with the
/// certificate and, unless <see cref="Key"/> names another file, its private key. <see cref="Authority"/>: the cluster CA's
/// certificate(s), PEM or DER; without it every silo and client must present the same (pinned) certificate.
/// </summary>
/// <param name="Certificate">This process's certificate and key.</param>
/// <param name="Key">The PEM private key, when it is not in <paramref name="Certificate"/>.</param>
/// <param name="Authority">The CA that signs every member's certificate, or null to pin <paramref name="Certificate"/>.</param>
public sealed record TlsFiles(string Certificate, string? Key = null, string? Authority = null);
