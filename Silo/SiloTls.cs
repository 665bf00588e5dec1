using BlitzScale.Grains.Interfaces.Security;
using Orleans.Connections.Security;

namespace BlitzScale.Silo;

/// <summary>
/// A silo's TLS: its files loaded once (<see cref="Load"/>), then mutual TLS on every Orleans connection — silo to silo
/// both ways and client to gateway — where each side presents its certificate and checks the other's with
/// <see cref="TlsCertificates.Untrusted"/>.
/// </summary>
internal static class SiloTls
{
    /// <summary>The silo's certificates, null when TLS is off, or every problem (naming the option and the file).</summary>
    public static (TlsCertificates? Tls, IReadOnlyList<string> Errors) Load(SiloOptions silo)
    {
        if (!silo.Tls) return (null, []);
        try
        {
            var files = new TlsFiles(silo.TlsCertificate!, Blank(silo.TlsKey), Blank(silo.TlsCa));
            return (TlsCertificates.Load(files, Environment.GetEnvironmentVariable(TlsCertificates.PasswordVariable), server: true), []);
        }
        catch (TlsFileException e)
        {
            string option = e.Part switch
            {
                TlsFilePart.Certificate => $"{nameof(SiloOptions.TlsCertificate)} (--tls-cert)",
                TlsFilePart.Key => $"{nameof(SiloOptions.TlsKey)} (--tls-key)",
                _ => $"{nameof(SiloOptions.TlsCa)} (--tls-ca)",
            };
            return (null, [$"{option}: {e.Message}"]);
        }
    }

    public static void Configure(ISiloBuilder builder, TlsCertificates tls) =>
        builder.UseTls(tls.Certificate, o =>
        {
            // Both ways: a gateway or silo asks every dialler for a certificate, and every dialler presents one.
            o.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            o.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            // The platform's checks (a public root, the host name) do not apply to a private cluster CA: trust is ours to decide.
            o.RemoteCertificateValidation = (certificate, _, _) => tls.Untrusted(certificate) is null;
        });

    private static string? Blank(string? path) => string.IsNullOrWhiteSpace(path) ? null : path;
}
