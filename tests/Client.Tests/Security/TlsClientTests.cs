using BlitzScale.Grains.Interfaces.Security;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Messaging;

namespace BlitzScale.Client.Tests.Security;

/// <summary>
/// The client library against a cluster whose silos run TLS: with a certificate of the cluster's CA it deploys and
/// generates (through both silos); without TLS, with another CA's certificate, or not trusting the cluster's CA it is refused.
/// </summary>
public sealed class TlsClientTests(TlsCluster cluster) : IClassFixture<TlsCluster>
{
    [Fact]
    public async Task A_client_with_a_certificate_of_the_cluster_CA_sees_both_silos_and_generates()
    {
        using var service = await cluster.ConnectAsync(TlsCertificates.Load(new TlsFiles(cluster.ClientPfx, Authority: cluster.CaFile), null, server: false));
        var client = service.Services.GetRequiredService<BlitzScaleClient>();

        // Both hosts registered: the second silo joined the first over TLS.
        var status = await client.StatusAsync();
        Assert.Equal(["tls-a", "tls-b"], status.Hosts.Select(h => h.Host.Host).Order());

        string model = RepositoryPaths.ShippedStories260K;
        var golden = GoldenCase.Load(Path.Combine(model, "goldens.jsonl"))[0];
        // On the second silo's GPU: the client's gateway is the first silo, so the tokens cross silo-to-silo TLS too.
        await client.DeployAsync("tls-stories", new DeployRequest { ModelDirectory = model, Gpus = ["tls-b/gpu0"] });
        var result = await client.GenerateAsync("tls-stories", new GenerateRequest { Prompt = golden.Prompt, MaxTokens = golden.Ids.Length - golden.PromptIds.Length, StopAtEos = false });
        Assert.Equal(golden.Ids[golden.PromptIds.Length..], result.OutputIds);
        await client.UndeployAsync("tls-stories");
        await service.StopAsync();
    }

    [Fact]
    public async Task A_client_without_TLS_is_refused() =>
        await Assert.ThrowsAnyAsync<ConnectionFailedException>(() => cluster.ConnectAsync(tls: null));

    [Fact]
    public async Task A_client_whose_certificate_another_CA_signed_is_refused_even_when_it_trusts_the_cluster()
    {
        // It trusts both CAs (so the silo's certificate passes on its side): only the silo's check can refuse it.
        string both = cluster.File("both-cas.pem");
        await File.WriteAllTextAsync(both, await File.ReadAllTextAsync(cluster.CaFile) + "\n" + await File.ReadAllTextAsync(cluster.OtherCaFile));
        var stranger = TlsCertificates.Load(new TlsFiles(cluster.StrangerPfx, Authority: both), null, server: false);
        await Assert.ThrowsAnyAsync<ConnectionFailedException>(() => cluster.ConnectAsync(stranger));
    }

    [Fact]
    public async Task A_client_that_trusts_another_CA_refuses_the_silos()
    {
        var distrustful = TlsCertificates.Load(new TlsFiles(cluster.StrangerPfx, Authority: cluster.OtherCaFile), null, server: false);
        await Assert.ThrowsAnyAsync<ConnectionFailedException>(() => cluster.ConnectAsync(distrustful));
    }
}
