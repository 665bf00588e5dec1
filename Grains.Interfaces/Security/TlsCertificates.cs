using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace BlitzScale.Grains.Interfaces.Security;

/// <summary>
/// A silo's or client's TLS identity and whom it trusts: its certificate with the private key, and the cluster CA (any
/// certificate it signed is a member) or, without a CA, the pinned certificate itself (a member presents exactly it).
/// Silos and clients decide trust through <see cref="Untrusted"/> alone, both ways.
/// </summary>
public sealed class TlsCertificates
{
    /// <summary>The environment variable holding the password of a PFX or of an encrypted PEM key (never a command-line switch).</summary>
    public const string PasswordVariable = "BLITZSCALE_TLS_PASSWORD";

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    private readonly X509Certificate2Collection? _authority;

    private TlsCertificates(X509Certificate2 certificate, X509Certificate2Collection? authority)
    {
        Certificate = certificate;
        _authority = authority;
        Authority = authority is null ? null : [.. authority];
    }

    /// <summary>This process's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CA certificates a member's certificate must chain to; null when <see cref="Certificate"/> is pinned.</summary>
    public IReadOnlyList<X509Certificate2>? Authority { get; }

    /// <summary>Loads and checks the files: readable, a certificate with its private key, valid now, usable for its role, signed by the CA.</summary>
    /// <param name="files">The files.</param>
    /// <param name="password">The PFX's or encrypted PEM key's password, or null.</param>
    /// <param name="server">
    /// Whether the certificate also accepts connections (a silo, an HTTPS API) and so must allow TLS server authentication;
    /// every member dials others and must allow client authentication.
    /// </param>
    /// <exception cref="TlsFileException">A file cannot be used; the message names it and says why.</exception>
    public static TlsCertificates Load(TlsFiles files, string? password, bool server)
    {
        ArgumentNullException.ThrowIfNull(files);
        var certificate = LoadCertificate(files, password);
        CheckUsage(certificate, files.Certificate, server);
        var tls = new TlsCertificates(certificate, files.Authority is { } ca ? LoadAuthority(ca) : null);
        if (tls.Authority is not null && tls.Untrusted(certificate) is { } why)
            throw new TlsFileException(TlsFilePart.Certificate, files.Certificate, $"not signed by the CA \"{files.Authority}\": {why}");
        return tls;
    }

    /// <summary>Null when <paramref name="remote"/> is a member's certificate, else why it is not.</summary>
    public string? Untrusted(X509Certificate2 remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (_authority is null)
        {
            return remote.RawDataMemory.Span.SequenceEqual(Certificate.RawDataMemory.Span)
                ? null
                : $"certificate \"{remote.Subject}\" is not the pinned one (no CA is configured, so every silo and client must present the same certificate)";
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authority);
        // A private cluster CA publishes no revocation lists.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(remote)) return null;
        string status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return $"certificate \"{remote.Subject}\" does not chain to the cluster's CA ({status})";
    }

    private static X509Certificate2 LoadCertificate(TlsFiles files, string? password)
    {
        byte[] bytes = Read(TlsFilePart.Certificate, files.Certificate);
        X509Certificate2 certificate;
        if (IsPem(bytes))
        {
            if (files.Key is { } keyFile) Read(TlsFilePart.Key, keyFile);
            var (part, path) = files.Key is null ? (TlsFilePart.Certificate, files.Certificate) : (TlsFilePart.Key, files.Key);
            try
            {
                using var pem = string.IsNullOrEmpty(password)
                    ? X509Certificate2.CreateFromPemFile(files.Certificate, files.Key)
                    : X509Certificate2.CreateFromEncryptedPemFile(files.Certificate, password, files.Key);
                // As PKCS#12, so the key is usable by every TLS stack (a PEM-made key is ephemeral).
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                throw new TlsFileException(part, path,
                    $"expected a PEM certificate with its private key (a matching PEM key, encrypted only with the password in {PasswordVariable}): {e.Message}");
            }
        }
        else
        {
            if (files.Key is { } keyFile)
                throw new TlsFileException(TlsFilePart.Key, keyFile, "a separate key goes with a PEM certificate; a PFX holds its own key");
            try
            {
                certificate = X509CertificateLoader.LoadPkcs12(bytes, string.IsNullOrEmpty(password) ? null : password);
            }
            catch (CryptographicException e)
            {
                throw new TlsFileException(TlsFilePart.Certificate, files.Certificate,
                    $"expected a PFX (PKCS#12; its password, if any, in {PasswordVariable}) or a PEM certificate: {e.Message}");
            }
        }
        if (!certificate.HasPrivateKey)
            throw new TlsFileException(TlsFilePart.Certificate, files.Certificate, "holds no private key");
        if (certificate.NotAfter < DateTime.Now || certificate.NotBefore > DateTime.Now)
            throw new TlsFileException(TlsFilePart.Certificate, files.Certificate, $"valid only from {certificate.NotBefore:u} to {certificate.NotAfter:u}");
        return certificate;
    }

    // A certificate that lists its uses must list the ones this member needs; one that lists none may do anything.
    private static void CheckUsage(X509Certificate2 certificate, string path, bool server)
    {
        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is not { } usage) return;
        var oids = usage.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToHashSet();
        if (!oids.Contains(ClientAuthentication))
            throw new TlsFileException(TlsFilePart.Certificate, path, "its extended key usage lacks TLS client authentication (1.3.6.1.5.5.7.3.2), which every member needs to dial others");
        if (server && !oids.Contains(ServerAuthentication))
            throw new TlsFileException(TlsFilePart.Certificate, path, "its extended key usage lacks TLS server authentication (1.3.6.1.5.5.7.3.1), which a silo needs to accept connections");
    }

    private static X509Certificate2Collection LoadAuthority(string path)
    {
        byte[] bytes = Read(TlsFilePart.Authority, path);
        var authority = new X509Certificate2Collection();
        try
        {
            if (IsPem(bytes)) authority.ImportFromPem(Encoding.ASCII.GetString(bytes));
            else authority.Add(X509CertificateLoader.LoadCertificate(bytes));
        }
        catch (CryptographicException e)
        {
            throw new TlsFileException(TlsFilePart.Authority, path, $"expected a CA certificate, PEM or DER: {e.Message}");
        }
        return authority.Count > 0 ? authority : throw new TlsFileException(TlsFilePart.Authority, path, "expected a CA certificate, PEM or DER, found none in it");
    }

    private static byte[] Read(TlsFilePart part, string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TlsFileException(part, path, $"cannot read it: {e.Message}");
        }
    }

    private static bool IsPem(byte[] bytes) => Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 4096)).Contains("-----BEGIN", StringComparison.Ordinal);
}
