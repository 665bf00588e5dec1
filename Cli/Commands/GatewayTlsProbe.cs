using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using BlitzScale.Grains.Interfaces.Security;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// Why a gateway that accepts TCP connections does not let this client in, when the reason is TLS: one side speaks it and
/// the other does not, or a side does not trust the other's certificate. Orleans only sees the connection close and would
/// retry until the connect timeout; one TLS handshake of our own tells which it is.
/// </summary>
internal static class GatewayTlsProbe
{
    // A handshake on a live gateway takes milliseconds; this bounds a gateway too busy to answer.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    /// <summary>What the probe found.</summary>
    /// <param name="Reached">Whether a TCP connection was made (else nothing was learnt).</param>
    /// <param name="Mismatch">Null when the gateway's TLS matches this client's, else the problem in words.</param>
    internal readonly record struct Finding(bool Reached, string? Mismatch);

    /// <param name="gateway">The gateway's address.</param>
    /// <param name="tls">This client's TLS, or null when it connects without.</param>
    /// <param name="cancellationToken">Stops the probe.</param>
    public static async Task<Finding> ProbeAsync(IPEndPoint gateway, TlsCertificates? tls, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        using var tcp = new TcpClient(gateway.AddressFamily);
        try
        {
            await tcp.ConnectAsync(gateway, timeout.Token);
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new(false, null);
        }
        bool presented = false;
        string? untrusted = null;
        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            presented = certificate is not null;
            if (tls is null || certificate is null) return true;
            using var remote = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            untrusted = tls.Untrusted(remote);
            return untrusted is null;
        });
        string where = $"the gateway at {gateway}";
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = gateway.Address.ToString(),
                ClientCertificates = tls is null ? null : new X509CertificateCollection { tls.Certificate },
            }, timeout.Token);
        }
        catch (Exception e) when (e is AuthenticationException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (presented && tls is null) return new(true, RequiresTls(where));
            if (!presented) return new(true, tls is null ? null : $"{where} does not speak TLS: start the cluster's silos with --tls-cert (and --tls-ca), or connect without --tls-cert");
            return new(true, untrusted is not null ? $"{where} is not trusted: {untrusted}; give the CA that signed the silos' certificates with --tls-ca" : Refused(where));
        }
        if (tls is null) return new(true, RequiresTls(where));
        // Under TLS 1.3 the gateway judges this client's certificate after the handshake has finished here: a refusal
        // arrives as an alert or a close on the first read; a gateway that let the client in waits for it to speak.
        try
        {
            if (await ssl.ReadAsync(new byte[1], timeout.Token) == 0) return new(true, Refused(where));
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return new(true, Refused(where));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Silence: the gateway accepted the certificate.
        }
        return new(true, null);
    }

    private static string RequiresTls(string where) =>
        $"{where} requires TLS: connect with --tls-cert FILE (a certificate the cluster's CA signed) and --tls-ca FILE (that CA)";

    private static string Refused(string where) =>
        $"{where} refused this client's certificate: it must be signed by the CA the silos were given with --tls-ca (or be their certificate, when they have no CA)";
}
