using System.Net.Sockets;
using System.Text;
using BlitzScale.Native.Transport;

namespace BlitzScale.Native.Cuda.Ipc;

/// <summary>
/// One peer of a <see cref="CudaIpcBlobServer"/>: the handshake, its range request, the image's IPC handle, then one
/// frame per chunk with the hash of the chunk as read back from this device, followed by its MAC under the session key;
/// then it waits for the peer to close. A peer that fails the handshake or breaks the protocol is refused or cut and
/// reported through the server's <see cref="DataPlaneServer.PeerRejected"/>, as by every blob server.
/// </summary>
internal sealed class CudaIpcConnection(CudaIpcBlobServer server, Socket socket)
{
    private byte[]? _sessionKey;

    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            // Off the accept loop: the handshake must not delay the next peer's accept.
            await Task.Yield();
            if (await OpenAsync(stopping).ConfigureAwait(false) is not var (source, plan)) return;
            await StreamAsync(source, plan, stopping).ConfigureAwait(false);
            // The peer copies at its own pace and closes when done; its end of stream ends this connection.
            await SocketIo.ReceiveExactlyAsync(socket, new byte[1], stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
            // The peer left or the server is stopping: nothing to tell anyone.
        }
        catch (CudaException e)
        {
            await TrySendErrorAsync($"the CUDA IPC server {server.Address} failed: {e.Message}", stopping).ConfigureAwait(false);
        }
        finally
        {
            socket.Dispose();
            server.Core.ConnectionEnded();
        }
    }

    /// <summary>
    /// Authenticates the peer and answers its range request, within the server's authentication timeout (as the
    /// other blob servers do: a peer that never finishes its handshake cannot hold a connection); null when the
    /// connection should just end.
    /// </summary>
    private async Task<(CudaIpcSource, ChunkPlan)?> OpenAsync(CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(server.Core.AuthenticationTimeout);
        try
        {
            return await OpenWithinAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            server.Core.TimedOut(socket, authenticated: _sessionKey is not null);
            return null;
        }
    }

    private async Task<(CudaIpcSource, ChunkPlan)?> OpenWithinAsync(CancellationToken cancellationToken)
    {
        _sessionKey = await ClusterAuth.AcceptAsync(socket, server.Core.Secret, WireFormat.ChunkMacFlag, why => server.Core.Refuse(socket, why), cancellationToken).ConfigureAwait(false);
        if (_sessionKey is null) return null;

        var header = new byte[WireFormat.HeaderBytes];
        if (!await SocketIo.ReceiveExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false)) return null;
        if (RequestHeader.Read(header) is not { IsRange: true } range
            || range.ModelIdBytes is <= 0 or > TransferRequest.MaxModelIdBytes)
        {
            server.Core.CutFirstRequest(socket);
            await TrySendErrorAsync("the first request was not a range request", cancellationToken).ConfigureAwait(false);
            return null;
        }
        if (await RangeRequest.ReadTailAsync(socket, range, cancellationToken).ConfigureAwait(false) is not var (modelId, firstChunk)) return null;

        string? refusal = Check(modelId, range, firstChunk, out var source);
        if (refusal is not null)
        {
            await TrySendErrorAsync(refusal, cancellationToken).ConfigureAwait(false);
            return null;
        }
        var frame = new byte[CudaIpcWire.HandleFrameBytes];
        CudaIpcWire.WriteHandle(frame, source!.Image.Bytes, source.ImageOffset, source.Handle);
        await SocketIo.SendAllAsync(socket, frame, cancellationToken).ConfigureAwait(false);
        return (source, new ChunkPlan(source.Layout, range.Blob, range.A, range.C, firstChunk));
    }

    private string? Check(string modelId, RequestHeader range, int firstChunk, out CudaIpcSource? source)
    {
        source = server.Find(modelId);
        return source is null
            ? $"model \"{modelId}\" is not served by {server.Address}"
            : RangeRequest.Refusal(server.Address, modelId, source.Layout, range, firstChunk);
    }

    /// <summary>
    /// Announces each chunk with the hash of its bytes as they are in this device's memory, and the MAC of the frame
    /// and those bytes (the chunk's number on the connection as the nonce: the peer checks each copy of it against it).
    /// </summary>
    private async Task StreamAsync(CudaIpcSource source, ChunkPlan plan, CancellationToken cancellationToken)
    {
        var frame = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
        var tag = GC.AllocateUninitializedArray<byte>(ChunkMac.TagBytes, pinned: true);
        using var mac = new ChunkMac(_sessionKey!);
        using var stream = server.Context.CreateStream();
        using var staging = server.Context.AllocatePinned(plan.ChunkBytes);
        for (int blob = plan.FirstBlob; blob < plan.EndBlob; blob++)
        {
            long blobStart = source.ImageOffset + source.Layout.Blobs[blob].Offset;
            for (int index = plan.StartOf(blob); index < plan.EndOf(blob); index++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = plan.Get(blob, index);
                source.Image.CopyToAsync(staging, 0, blobStart + chunk.OffsetInBlob, chunk.Length, stream);
                stream.Synchronize();
                var bytes = staging.Span(0, chunk.Length);
                new ReplyHeader(ReplyKind.Chunk, chunk.Blob, chunk.Length, chunk.OffsetInBlob, ChunkHash.Of(bytes)).Write(frame);
                mac.Sign(frame, bytes, tag);
                await SocketIo.SendAllAsync(socket, frame, cancellationToken).ConfigureAwait(false);
                await SocketIo.SendAllAsync(socket, tag, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task TrySendErrorAsync(string message, CancellationToken cancellationToken)
    {
        try
        {
            await SocketIo.SendAllAsync(socket, ReplyHeader.ErrorFrame(ReplyKind.Error, message), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer is gone: it learns nothing either way.
        }
    }
}
