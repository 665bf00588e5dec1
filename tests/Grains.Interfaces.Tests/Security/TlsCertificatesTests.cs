using System.Security.Cryptography.X509Certificates;
using BlitzScale.Grains.Interfaces.Security;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Interfaces.Tests.Security;

/// <summary>
/// Loading a member's TLS files (PFX with or without a password, PEM with the key inside or beside) and the one trust rule
/// both silos and clients apply: a certificate the cluster CA signed, or without a CA the pinned certificate itself. Every
/// unusable file is named with what is wrong.
/// </summary>
public sealed class TlsCertificatesTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestCertificates _ca = new("unit-ca");
    private readonly TestCertificates _other = new("unit-other-ca");

    [Fact]
    public void A_PFX_signed_by_the_CA_loads_and_trusts_the_CA_s_certificates_only()
    {
        string ca = _ca.WriteAuthority(_dir.File("ca.pem"));
        var tls = TlsCertificates.Load(new TlsFiles(TestCertificates.WritePfx(_ca.Issue("me"), _dir.File("me.pfx")), Authority: ca), null, server: true);

        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Equal("CN=me", tls.Certificate.Subject);
        using var peer = _ca.Issue("peer");
        Assert.Null(tls.Untrusted(peer));
        using var stranger = _other.Issue("stranger");
        Assert.Contains("does not chain to the cluster's CA", tls.Untrusted(stranger));
    }

    [Fact]
    public void Without_a_CA_only_the_same_certificate_is_trusted()
    {
        using var shared = _ca.Issue("shared");
        var tls = TlsCertificates.Load(new TlsFiles(TestCertificates.WritePfx(shared, _dir.File("shared.pfx"))), null, server: true);

        Assert.Null(tls.Authority);
        Assert.Null(tls.Untrusted(shared));
        using var sibling = _ca.Issue("sibling");
        Assert.Contains("is not the pinned one", tls.Untrusted(sibling));
    }

    [Fact]
    public void A_PEM_certificate_loads_with_its_key_beside_it_or_inside_it()
    {
        using var issued = _ca.Issue("pem");
        TestCertificates.WritePem(issued, _dir.File("pem.crt"), _dir.File("pem.key"));
        var beside = TlsCertificates.Load(new TlsFiles(_dir.File("pem.crt"), _dir.File("pem.key")), null, server: true);
        Assert.True(beside.Certificate.HasPrivateKey);
        Assert.Equal(issued.Thumbprint, beside.Certificate.Thumbprint);

        File.WriteAllText(_dir.File("both.pem"), File.ReadAllText(_dir.File("pem.crt")) + "\n" + File.ReadAllText(_dir.File("pem.key")));
        var inside = TlsCertificates.Load(new TlsFiles(_dir.File("both.pem")), null, server: true);
        Assert.Equal(issued.Thumbprint, inside.Certificate.Thumbprint);
    }

    [Fact]
    public void A_PFX_password_opens_it_and_a_wrong_one_is_named()
    {
        string pfx = TestCertificates.WritePfx(_ca.Issue("locked"), _dir.File("locked.pfx"), "s3cret");
        Assert.True(TlsCertificates.Load(new TlsFiles(pfx), "s3cret", server: true).Certificate.HasPrivateKey);

        var error = Assert.Throws<TlsFileException>(() => TlsCertificates.Load(new TlsFiles(pfx), "wrong", server: true));
        Assert.Equal(TlsFilePart.Certificate, error.Part);
        Assert.StartsWith($"TLS certificate \"{pfx}\": expected a PFX", error.Message);
        Assert.Contains(TlsCertificates.PasswordVariable, error.Message);
    }

    [Fact]
    public void Each_unusable_file_is_named_with_what_is_wrong()
    {
        string missing = _dir.File("missing.pfx");
        var error = Assert.Throws<TlsFileException>(() => TlsCertificates.Load(new TlsFiles(missing), null, server: true));
        Assert.Equal((TlsFilePart.Certificate, missing), (error.Part, error.Path));
        Assert.StartsWith($"TLS certificate \"{missing}\": cannot read it", error.Message);

        string pfx = TestCertificates.WritePfx(_ca.Issue("me"), _dir.File("me.pfx"));
        string noCa = _dir.File("no-ca.pem");
        error = Assert.Throws<TlsFileException>(() => TlsCertificates.Load(new TlsFiles(pfx, Authority: noCa), null, server: true));
        Assert.Equal(TlsFilePart.Authority, error.Part);

        File.WriteAllText(_dir.File("empty-ca.pem"), "not a certificate");
        error = Assert.Throws<TlsFileException>(() => TlsCertificates.Load(new TlsFiles(pfx, Authority: _dir.File("empty-ca.pem")), null, server: true));
        Assert.Contains("expected a CA certificate", error.Message);

        // A PEM certificate alone, without its key.
        File.WriteAllText(_dir.File("bare.crt"), _ca.Issue("bare").ExportCertificatePem());
        error = Assert.Throws<TlsFileException>(() => TlsCertificates.Load(new TlsFiles(_dir.File("bare.crt")), null, server: true));
        Assert.Equal(TlsFilePart.Certificate, error.Part);
        Assert.Contains("with its private key", error.Message);

        error = Assert.Throws<TlsFileException>(() => TlsCertificates.Load(new TlsFiles(pfx, Key: _dir.File("bare.crt")), null, server: true));
        Assert.Equal(TlsFilePart.Key, error.Part);
        Assert.Contains("a PFX holds its own key", error.Message);

        // The member's own certificate must come from the CA it is given, or no peer would take it.
        string otherCa = _other.WriteAuthority(_dir.File("other.pem"));
        error = Assert.Throws<TlsFileException>(() => TlsCertificates.Load(new TlsFiles(pfx, Authority: otherCa), null, server: true));
        Assert.Contains($"not signed by the CA \"{otherCa}\"", error.Message);
    }

    [Fact]
    public void A_certificate_for_clients_only_cannot_serve_but_can_dial()
    {
        string clientOnly = TestCertificates.WritePfx(_ca.Issue("client", "1.3.6.1.5.5.7.3.2"), _dir.File("client.pfx"));
        Assert.True(TlsCertificates.Load(new TlsFiles(clientOnly), null, server: false).Certificate.HasPrivateKey);
        var error = Assert.Throws<TlsFileException>(() => TlsCertificates.Load(new TlsFiles(clientOnly), null, server: true));
        Assert.Contains("lacks TLS server authentication", error.Message);

        string serverOnly = TestCertificates.WritePfx(_ca.Issue("server", "1.3.6.1.5.5.7.3.1"), _dir.File("server.pfx"));
        error = Assert.Throws<TlsFileException>(() => TlsCertificates.Load(new TlsFiles(serverOnly), null, server: true));
        Assert.Contains("lacks TLS client authentication", error.Message);
    }

    [Fact]
    public void A_certificate_without_its_private_key_is_refused()
    {
        using var issued = _ca.Issue("public-only");
        File.WriteAllBytes(_dir.File("public.pfx"), X509CertificateLoader.LoadCertificate(issued.RawData).Export(X509ContentType.Pkcs12));
        var error = Assert.Throws<TlsFileException>(() => TlsCertificates.Load(new TlsFiles(_dir.File("public.pfx")), null, server: true));
        Assert.EndsWith("holds no private key", error.Message);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _other.Dispose();
        _dir.Dispose();
    }
}
