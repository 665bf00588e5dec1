using System.Net.Sockets;

namespace BlitzScale.Native.Transport;

/// <summary>How every transport's transfer ends when it fails: a broken link is the source lost, and the target is told.</summary>
internal static class TransferRun
{
    /// <summary>
    /// Runs <paramref name="transfer"/>; on failure maps a socket error or a cut stream on <paramref name="link"/> to
    /// <see cref="SourceLostException"/> (other errors through <paramref name="translate"/> when it gives one), fails
    /// the target with it (after <paramref name="transfer"/> has released what it held) and throws it.
    /// </summary>
    public static async Task<TransferResult> RunAsync(
        TransferTracker tracker, string link, Func<Task<TransferResult>> transfer, Func<Exception, Exception?>? translate = null)
    {
        try
        {
            return await transfer().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var error = e switch
            {
                SocketException s => tracker.Lost($"{link} failed ({s.SocketErrorCode})", s),
                EndOfStreamException eof => tracker.Lost(eof.Message, eof),
                _ => translate?.Invoke(e) ?? e,
            };
            tracker.Fail(error);
            if (ReferenceEquals(error, e)) throw;
            throw error;
        }
    }
}
