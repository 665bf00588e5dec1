using System.Runtime.InteropServices;
using BlitzScale.Grains.DataPlane;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Telemetry;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlitzScale.Grains.Tests.DataPlane;

/// <summary>Hidden states handed from one data plane to another: published, fetched, retired; or pushed and taken.</summary>
public sealed class ActivationExchangeTests
{
    private const string Secret = "activation-exchange-secret";

    [Theory]
    [InlineData(1, 8)]
    [InlineData(512, 4096)]
    public async Task States_cross_between_hosts_over_tcp_bit_for_bit(int tokens, int width)
    {
        await using var a = Plane("host-a");
        await using var b = Plane("host-b");
        var sent = RandomStates(tokens, width, seed: tokens);

        var reference = a.PublishActivation("m/0/0@step1", sent);
        var received = await b.FetchActivationAsync(reference, CancellationToken.None);

        Assert.Equal(new ActivationRef("m/0/0@step1", "host-a", a.Address, tokens, width), reference);
        Assert.Equal(sent.SerializedLength, reference.Bytes);
        Assert.Equal((tokens, width), (received.Tokens, received.Width));
        Assert.Equal(sent.ToBytes(), received.ToBytes());
        await a.RetireActivationAsync(reference.SourceId);
    }

    [Fact]
    public void Eight_mebibytes_of_states_span_several_chunks_and_one_token_fits_under_the_smallest_chunk()
    {
        var defaults = new GpuHostOptions();
        Assert.True(RandomStates(512, 4096, 1).SerializedLength > 2 * (defaults.ChunkMiB << 20));
        Assert.True(RandomStates(1, 8, 1).SerializedLength < TransferRequest.MinChunkBytes);
    }

    [Fact]
    public async Task States_on_the_same_host_are_copied_in_process_without_the_network()
    {
        await using var a = Plane("host-a");
        var sent = RandomStates(7, 96, seed: 3);
        var reference = a.PublishActivation("same", sent);

        // Nothing listens at this address: only the in-process copy can deliver.
        var received = await a.FetchActivationAsync(reference with { DataAddress = $"127.0.0.1:{ClosedPort()}" }, CancellationToken.None);

        Assert.Equal(sent.ToBytes(), received.ToBytes());
        await a.RetireActivationAsync("same");
    }

    [Fact]
    public async Task A_plane_with_another_cluster_secret_is_refused()
    {
        await using var a = Plane("host-a");
        await using var stranger = Plane("host-x", "some-other-cluster-secret");
        var reference = a.PublishActivation("guarded", RandomStates(4, 32, seed: 5));

        HiddenStates? leaked = null;
        var refused = await Assert.ThrowsAsync<PeerRefusedException>(async () =>
            leaked = await stranger.FetchActivationAsync(reference, CancellationToken.None));

        Assert.Null(leaked);
        Assert.Equal(a.Address, refused.Peer);
        await a.RetireActivationAsync("guarded");
    }

    [Fact]
    public async Task A_fetch_after_retire_fails_naming_the_activation()
    {
        await using var a = Plane("host-a");
        await using var b = Plane("host-b");
        var reference = a.PublishActivation("gone", RandomStates(2, 16, seed: 7));
        await a.RetireActivationAsync("gone");

        var remote = await Assert.ThrowsAsync<TransferException>(() => b.FetchActivationAsync(reference, CancellationToken.None));
        Assert.Contains("\"gone\" is not served", remote.Message);
        var local = await Assert.ThrowsAsync<SourceLostException>(() => a.FetchActivationAsync(reference, CancellationToken.None));
        Assert.Contains("\"gone\"", local.Message);
    }

    [Fact]
    public async Task Retire_waits_for_a_same_host_fetch_in_flight()
    {
        await using var a = Plane("host-a");
        var sent = RandomStates(64, 256, seed: 11);
        var reference = a.PublishActivation("in-flight", sent);
        using var hold = new HoldOnLanding();
        a.ActivationLanded = hold;

        // The copy runs synchronously inside the call, so it goes to another thread to be held there.
        var fetch = Task.Run(() => a.FetchActivationAsync(reference, CancellationToken.None));
        await hold.Landed;
        var retire = a.RetireActivationAsync("in-flight");
        Assert.False(retire.IsCompleted);

        hold.Release();
        var received = await fetch;
        await retire;
        Assert.Equal(sent.ToBytes(), received.ToBytes());
        await Assert.ThrowsAsync<SourceLostException>(() => a.FetchActivationAsync(reference, CancellationToken.None));
    }

    [Fact]
    public async Task A_reference_whose_shape_disagrees_with_the_states_fails_naming_both()
    {
        await using var a = Plane("host-a");
        await using var b = Plane("host-b");
        var reference = a.PublishActivation("shape", RandomStates(2, 8, seed: 13));

        // The same byte count, so the transfer itself succeeds.
        var error = await Assert.ThrowsAsync<FormatException>(() => b.FetchActivationAsync(reference with { Tokens = 4, Width = 4 }, CancellationToken.None));

        Assert.Contains("holds 2 tokens × 8 floats", error.Message);
        Assert.Contains("says 4 tokens × 4 floats", error.Message);
        await a.RetireActivationAsync("shape");
    }

    [Fact]
    public async Task An_id_is_published_once_until_retired()
    {
        await using var a = Plane("host-a");
        await using var b = Plane("host-b");
        a.PublishActivation("step", RandomStates(1, 4, seed: 17));

        Assert.Throws<InvalidOperationException>(() => a.PublishActivation("step", RandomStates(1, 4, seed: 19)));
        await a.RetireActivationAsync("step");
        var next = RandomStates(3, 4, seed: 23);
        var reference = a.PublishActivation("step", next);

        Assert.Equal(next.ToBytes(), (await b.FetchActivationAsync(reference, CancellationToken.None)).ToBytes());
        await a.RetireActivationAsync("step");
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(512, 4096)]
    public async Task Pushed_states_reach_the_other_host_bit_for_bit_over_one_connection_kept_open(int tokens, int width)
    {
        await using var a = Plane("host-a");
        await using var b = Plane("host-b");
        var steps = Enumerable.Range(0, 3).Select(i => RandomStates(tokens, width, seed: 100 * tokens + i)).ToArray();

        for (int i = 0; i < steps.Length; i++)
        {
            var reference = await a.PushActivationAsync("host-b", b.Address, $"m/1/0/live/r/{i}", steps[i], CancellationToken.None);
            Assert.Equal(new ActivationRef($"m/1/0/live/r/{i}", "host-a", a.Address, tokens, width) { Pushed = true }, reference);
            var received = await b.FetchActivationAsync(reference, CancellationToken.None);
            Assert.Equal(steps[i].ToBytes(), received.ToBytes());
        }
        Assert.Equal(1, a.ActivationConnections);
    }

    [Fact]
    public async Task At_an_activation_share_a_prefix_of_each_row_travels_published_or_pushed_and_the_rest_arrives_as_zeros()
    {
        await using var a = Plane("host-a", activationShare: 0.125);
        await using var b = Plane("host-b");
        var published = RandomStates(3, 64, seed: 41);
        var pushed = RandomStates(3, 64, seed: 42);

        var fetched = await b.FetchActivationAsync(a.PublishActivation("shared", published), CancellationToken.None);
        var reference = await a.PushActivationAsync("host-b", b.Address, "pushed", pushed, CancellationToken.None);
        var taken = await b.FetchActivationAsync(reference, CancellationToken.None);

        // 64 × 0.125: 8 floats of each row, 16 + 3 × 8 × 4 bytes.
        Assert.Equal((8, 112L), (reference.SentWidth, reference.Bytes));
        foreach (var (sent, received) in new[] { (published, fetched), (pushed, taken) })
        {
            Assert.Equal((3, 64), (received.Tokens, received.Width));
            for (int t = 0; t < 3; t++)
            {
                Assert.Equal(sent.Row(t)[..8].ToArray().Select(BitConverter.SingleToInt32Bits), received.Row(t)[..8].ToArray().Select(BitConverter.SingleToInt32Bits));
                Assert.All(received.Row(t)[8..].ToArray(), value => Assert.Equal(0f, value));
            }
        }
        await a.RetireActivationAsync("shared");
    }

    [Theory]
    [InlineData(512, 0.125, 64)]
    [InlineData(4, 0.125, 2)]
    [InlineData(1, 0.5, 1)]
    [InlineData(512, 1.0, 512)]
    public void A_row_sends_its_share_and_never_fewer_than_two_values(int width, double share, int sent) =>
        Assert.Equal(sent, HostDataPlane.SentWidth(width, share));

    [Fact]
    public async Task States_pushed_to_the_same_host_go_straight_to_its_inbox()
    {
        await using var a = Plane("host-a");
        var sent = RandomStates(5, 64, seed: 29);

        // Nothing listens at this address: only the in-process delivery can work.
        var reference = await a.PushActivationAsync("host-a", $"127.0.0.1:{ClosedPort()}", "local", sent, CancellationToken.None);

        Assert.Equal(sent.ToBytes(), (await a.FetchActivationAsync(reference, CancellationToken.None)).ToBytes());
        Assert.Equal(0, a.ActivationConnections);
    }

    [Fact]
    public async Task Pushing_to_a_plane_with_another_cluster_secret_is_refused()
    {
        await using var a = Plane("host-a");
        await using var stranger = Plane("host-x", "some-other-cluster-secret");

        await Assert.ThrowsAsync<PeerRefusedException>(() =>
            a.PushActivationAsync("host-x", stranger.Address, "guarded", RandomStates(4, 32, seed: 31), CancellationToken.None));
    }

    private static HostDataPlane Plane(string host, string secret = Secret, double activationShare = 1) =>
        new(new GpuHostOptions { Host = host, ClusterSecret = secret, ActivationShare = activationShare }, new BlitzMetrics(), NullLogger<HostDataPlane>.Instance);

    private static HiddenStates RandomStates(int tokens, int width, int seed)
    {
        var states = new HiddenStates(tokens, width);
        // Random bit patterns, NaNs and denormals included: the hand-off must move bits, not values.
        new Random(seed).NextBytes(MemoryMarshal.AsBytes(states.Data.AsSpan()));
        return states;
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Holds the receiving loop when the blob lands, until released: a fetch caught in flight.</summary>
    private sealed class HoldOnLanding : IProgress<int>, IDisposable
    {
        private readonly TaskCompletionSource _landed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim _release = new();

        public Task Landed => _landed.Task;

        public void Report(int value)
        {
            _landed.TrySetResult();
            _release.Wait(TimeSpan.FromMinutes(1));
        }

        public void Release() => _release.Set();

        public void Dispose() => _release.Dispose();
    }
}
