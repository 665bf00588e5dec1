using System.CommandLine;
using BlitzScale.Grains.Interfaces.Security;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// The TLS options of the commands that reach a cluster (and of <c>blitz serve</c>, whose API then speaks HTTPS): the same
/// <c>--tls-cert</c>, <c>--tls-key</c> and <c>--tls-ca</c> as <c>blitz silo</c>; the password in <see cref="TlsCertificates.PasswordVariable"/>.
/// </summary>
internal sealed class TlsArguments
{
    public Option<string?> Certificate { get; } = new("--tls-cert")
    {
        Description = "Connect over mutual TLS, as silos started with --tls-cert require: this client's certificate, a PFX or a PEM (key inside, or --tls-key); password in " + TlsCertificates.PasswordVariable,
    };
    public Option<string?> Key { get; } = new("--tls-key") { Description = "The PEM private key of --tls-cert, when it is in a file of its own" };
    public Option<string?> Authority { get; } = new("--tls-ca") { Description = "The cluster CA's certificate (PEM or DER): gateways must present a certificate it signed (without it: the same certificate as --tls-cert)" };

    public IEnumerable<Option> All => [Certificate, Key, Authority];

    /// <summary>The files given, or null when TLS is off.</summary>
    /// <exception cref="ArgumentException"><c>--tls-key</c> or <c>--tls-ca</c> without <c>--tls-cert</c>.</exception>
    public TlsFiles? Read(ParseResult parse)
    {
        string? certificate = parse.GetValue(Certificate), key = parse.GetValue(Key), authority = parse.GetValue(Authority);
        if (string.IsNullOrWhiteSpace(certificate))
        {
            if (!string.IsNullOrWhiteSpace(key)) throw new ArgumentException("--tls-key: expected it only with --tls-cert, found no --tls-cert");
            if (!string.IsNullOrWhiteSpace(authority)) throw new ArgumentException("--tls-ca: expected it only with --tls-cert, found no --tls-cert");
            return null;
        }
        return new TlsFiles(certificate, string.IsNullOrWhiteSpace(key) ? null : key, string.IsNullOrWhiteSpace(authority) ? null : authority);
    }

    /// <summary>Loads <paramref name="files"/>; a file that cannot be used is a usage error naming its option and the file.</summary>
    /// <param name="files">What <see cref="Read"/> gave.</param>
    /// <param name="server">Whether the certificate also serves (the HTTPS API of <c>blitz serve</c>).</param>
    /// <exception cref="ArgumentException">A file cannot be used.</exception>
    public static TlsCertificates Load(TlsFiles files, bool server)
    {
        try
        {
            return TlsCertificates.Load(files, Environment.GetEnvironmentVariable(TlsCertificates.PasswordVariable), server);
        }
        catch (TlsFileException e)
        {
            string option = e.Part switch { TlsFilePart.Certificate => "--tls-cert", TlsFilePart.Key => "--tls-key", _ => "--tls-ca" };
            throw new ArgumentException($"{option}: {e.Message}", e);
        }
    }
}
