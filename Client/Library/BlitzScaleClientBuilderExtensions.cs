using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Security;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Connections.Security;

namespace BlitzScale.Client;

/// <summary>Adds BlitzScale to an Orleans client.</summary>
public static class BlitzScaleClientBuilderExtensions
{
    /// <summary>Registers <see cref="BlitzScaleClient"/> and the stream provider BlitzScale's events flow on.</summary>
    public static IClientBuilder AddBlitzScaleClient(this IClientBuilder builder)
    {
        builder.AddMemoryStreams(StreamNames.Provider);
        builder.Services.AddSingleton<BlitzScaleClient>();
        return builder;
    }

    /// <summary>
    /// Connects to the gateways over mutual TLS, as the silos of a cluster started with a TLS certificate require: the client
    /// presents <see cref="TlsCertificates.Certificate"/> and accepts a gateway only if
    /// <see cref="TlsCertificates.Untrusted"/> finds nothing wrong with its certificate.
    /// </summary>
    /// <param name="builder">The client.</param>
    /// <param name="tls">Load it with <see cref="TlsCertificates.Load"/> (<c>server: false</c>).</param>
    public static IClientBuilder UseBlitzScaleTls(this IClientBuilder builder, TlsCertificates tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        return builder.UseTls(tls.Certificate, o =>
        {
            o.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            o.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            // A private cluster CA is in no system store, and gateways are dialled by address: trust is decided here alone.
            o.RemoteCertificateValidation = (certificate, _, _) => tls.Untrusted(certificate) is null;
        });
    }
}
