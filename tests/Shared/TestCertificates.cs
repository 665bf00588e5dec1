using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BlitzScale.Tests.Shared;

/// <summary>
/// A throw-away certificate authority for TLS tests, made in memory with <see cref="CertificateRequest"/>: it issues
/// leaf certificates for 127.0.0.1/localhost and writes them (PFX, or PEM certificate and key) into a test's temp directory.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    // ECDSA P-256: keys in microseconds, where RSA keys would make each test take seconds.
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestCertificates(string name)
    {
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>The CA's certificate, with its private key.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>A leaf certificate signed by this CA, with its private key, for 127.0.0.1 and localhost.</summary>
    /// <param name="name">Its common name.</param>
    /// <param name="usages">Its extended key usages (OIDs); default: TLS server and client authentication.</param>
    public X509Certificate2 Issue(string name, params string[] usages)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        var oids = new OidCollection();
        foreach (string usage in usages.Length > 0 ? usages : ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]) oids.Add(new Oid(usage));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(Authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12, so the result owns its key once this method's RSA object is disposed.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Writes the CA's certificate (PEM) as <paramref name="path"/> and returns it.</summary>
    public string WriteAuthority(string path)
    {
        File.WriteAllText(path, Authority.ExportCertificatePem());
        return path;
    }

    /// <summary>Writes <paramref name="certificate"/> with its key as a PFX at <paramref name="path"/> and returns it.</summary>
    public static string WritePfx(X509Certificate2 certificate, string path, string? password = null)
    {
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    /// <summary>Writes <paramref name="certificate"/> as PEM at <paramref name="certificatePath"/> and its key as PEM at <paramref name="keyPath"/>.</summary>
    public static void WritePem(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose()
    {
        Authority.Dispose();
        _key.Dispose();
    }
}
