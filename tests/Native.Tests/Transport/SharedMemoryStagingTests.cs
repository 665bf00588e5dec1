using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.SharedMemory;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>The pieces under the shared-memory transport: slot accounting, frame encoding, the mapped ring file, options.</summary>
public sealed class SharedMemoryStagingTests : IDisposable
{
    private readonly SharedMemoryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_rent_waits_while_every_slot_is_held_and_gets_the_first_one_released()
    {
        var pool = new SlotPool(2);
        var a = new ChunkRef(0, 0, 0, 10);
        var b = new ChunkRef(0, 1, 10, 10);
        var c = new ChunkRef(1, 0, 0, 10);

        int first = await pool.RentAsync(a);
        int second = await pool.RentAsync(b);
        var third = pool.RentAsync(c);
        Assert.False(third.IsCompleted);
        Assert.True(pool.Release(second, out var released));

        Assert.Equal(b, released);
        Assert.Equal(second, await third);
        Assert.True(pool.Release(second, out var held));
        Assert.Equal(c, held);
        Assert.True(pool.Release(first, out held));
        Assert.Equal(a, held);
    }

    [Fact]
    public async Task Releasing_a_slot_that_is_not_rented_is_a_protocol_error_and_closing_fails_the_waiting_rent()
    {
        var pool = new SlotPool(1);
        Assert.False(pool.Release(0, out _));
        Assert.False(pool.Release(5, out _));
        _ = await pool.RentAsync(default);
        var waiting = pool.RentAsync(default);

        pool.Close(new OperationCanceledException("closed"));

        await Assert.ThrowsAsync<OperationCanceledException>(async () => await waiting);
        await Assert.ThrowsAsync<OperationCanceledException>(async () => await pool.RentAsync(default));
    }

    [Fact]
    public void Frames_and_releases_read_back_what_was_written_and_reject_a_wrong_magic()
    {
        var frame = new byte[SharedMemoryWire.FrameBytes];
        var chunk = SlotFrame.Chunk(7, new ChunkRef(3, 2, 2L << 30, 65536), 0x0123456789ABCDEF);
        chunk.Write(frame);
        Assert.Equal(chunk, SlotFrame.Read(frame));
        frame[0] ^= 1;
        Assert.Null(SlotFrame.Read(frame));

        var release = new byte[SharedMemoryWire.ReleaseBytes];
        new SlotRelease(65535, Refetch: true).Write(release);
        Assert.Equal(new SlotRelease(65535, true), SlotRelease.Read(release));
        release[8] = 2;
        Assert.Null(SlotRelease.Read(release));
    }

    [Fact]
    public void Two_mappings_of_a_ring_see_each_others_bytes_and_a_ring_of_another_size_is_refused()
    {
        string path = Path.Combine(_directory.Path, "r.ring");
        using var server = StagingRing.Create(path, slots: 3, slotBytes: 4096);
        using var client = StagingRing.Open(path, slots: 3, slotBytes: 4096);

        server.Slot(2, 4096)[4095] = 0xA5;
        client.Slot(1, 1)[0] = 0x5A;

        Assert.Equal(0xA5, client.Slot(2, 4096)[4095]);
        Assert.Equal(0x5A, server.Slot(1, 1)[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => client.Slot(3, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => client.Slot(0, 4097));
        var error = Assert.Throws<InvalidDataException>(() => StagingRing.Open(path, slots: 4, slotBytes: 4096));
        Assert.Contains("4 slots of 4096 bytes", error.Message);
        Assert.Throws<IOException>(() => StagingRing.Create(path, 1, 4096));
    }

    [Fact]
    public void Option_defaults_are_pinned_and_large_chunks_get_fewer_slots_but_never_fewer_than_two()
    {
        var options = new SharedMemoryServerOptions();
        Assert.Equal((8, 64L << 20, TimeSpan.FromSeconds(10), true), (options.Slots, options.MaxRingBytes, options.AuthenticationTimeout, options.AuthenticateChunks));
        var client = new SharedMemoryTransportOptions();
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), true), (client.ConnectTimeout, client.IdleTimeout, client.RequireChunkAuthentication));

        Assert.Equal(8, options.SlotsFor(TransferRequest.DefaultChunkBytes));
        Assert.Equal(4, options.SlotsFor(16 << 20));
        Assert.Equal(2, options.SlotsFor(TransferRequest.MaxChunkBytes));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SharedMemoryServerOptions { Slots = 1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SharedMemoryTransportOptions { ConnectTimeout = TimeSpan.Zero }.Validate());
        Assert.Equal("IdleTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new SharedMemoryTransportOptions { IdleTimeout = TimeSpan.Zero }.Validate()).ParamName);
    }

    [Fact]
    public void A_server_name_with_a_path_in_it_or_a_socket_path_too_long_is_refused_by_name()
    {
        var name = Assert.Throws<ArgumentException>(() => SharedMemoryBlobServer.Start(_directory.Path, "../gpu0", TransportImages.Secret));
        var longPath = Assert.Throws<ArgumentException>(() => SharedMemoryBlobServer.Start(_directory.Path, new string('g', 120), TransportImages.Secret));
        var missing = Assert.Throws<DirectoryNotFoundException>(() => SharedMemoryBlobServer.Start(Path.Combine(_directory.Path, "none"), "gpu0", TransportImages.Secret));

        Assert.Contains("server name \"../gpu0\"", name.Message);
        Assert.Contains("longer than the 107 bytes", longPath.Message);
        Assert.Contains("does not exist", missing.Message);
    }
}
