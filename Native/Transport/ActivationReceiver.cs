using System.Net.Sockets;
using System.Text;

namespace BlitzScale.Native.Transport;

/// <summary>
/// The server's end of an activation push stream (<see cref="ActivationPusher"/>): reads frames until the peer closes,
/// checks each one's MAC and limits, and delivers it to the host's <see cref="ActivationInbox"/>. A frame that breaks the
/// protocol cuts the connection (counted and reported like any other peer cut); what arrived before it stays delivered.
/// </summary>
internal static class ActivationReceiver
{
    public static async Task RunAsync(ServerCore host, Socket socket, byte[] sessionKey, ActivationInbox inbox, CancellationToken cancellationToken)
    {
        using var mac = new ChunkMac(sessionKey);
        var header = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
        var tag = new byte[ChunkMac.TagBytes];
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        for (long number = 0; ; number++)
        {
            if (!await SocketIo.ReceiveExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false)) return;
            if (RequestHeader.Read(header) is not { Kind: RequestKind.Activation } frame)
            {
                host.Cut(socket, $"activation frame {number} is not an activation frame");
                return;
            }
            if (frame.A is <= 0 or > TransferRequest.MaxModelIdBytes || frame.B < 0 || frame.B > inbox.MaxFrameBytes
                || frame.Blob != 0 || frame.C != 0 || frame.ModelIdBytes != 0)
            {
                host.Cut(socket, $"activation frame {number} has an id of {frame.A} bytes (1 to {TransferRequest.MaxModelIdBytes}) and a payload of " +
                    $"{frame.B} bytes (at most {inbox.MaxFrameBytes}), or fields that must be 0 are not");
                return;
            }
            var body = new byte[frame.A + frame.B];
            if (!await SocketIo.ReceiveExactlyAsync(socket, body, cancellationToken).ConfigureAwait(false)) return;
            if (!await SocketIo.ReceiveExactlyAsync(socket, tag, cancellationToken).ConfigureAwait(false)) return;
            if (!mac.Verify(header, body, tag))
            {
                host.Cut(socket, $"activation frame {number} failed its MAC check");
                return;
            }
            string id;
            try
            {
                id = utf8.GetString(body, 0, frame.A);
            }
            catch (DecoderFallbackException)
            {
                host.Cut(socket, $"activation frame {number}'s id is not UTF-8");
                return;
            }
            // A refusal (a duplicate id, the inbox full) is the consumer's to see: its take times out and it says so.
            inbox.Deliver(id, body.AsSpan(frame.A).ToArray());
        }
    }
}
