using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using BlitzScale.Native.Sampling;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Serving;

// The server's side of one request: its sampler, its token channel, and when it let go of its KV blocks.
internal sealed class RequestStream(ServingSequence sequence, Sampler sampler, ServingRequest request)
{
    private readonly long _submitted = Stopwatch.GetTimestamp();
    private readonly Channel<ServedToken> _tokens = Channel.CreateUnbounded<ServedToken>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private double _queuedMs = -1;
    private double _lastMs;

    public ServingSequence Sequence { get; } = sequence;

    // The request as submitted: what a live partner is given when the request is handed over.
    public ServingRequest Request { get; } = request;

    // Used only on the device thread, one step at a time.
    public Sampler Sampler { get; } = sampler;

    // The tokens as they are delivered, until the stream closes (rethrowing its error). Buffered tokens do not outlive a
    // cancellation: the next MoveNextAsync throws.
    public async IAsyncEnumerable<ServedToken> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var tokens = _tokens.Reader;
        while (await tokens.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (tokens.TryRead(out var token))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return token;
            }
        }
    }

    // Completes once the batcher no longer counts this request's blocks.
    public Task Released => _released.Task;

    // The first step that includes the request ends its wait; under the server's lock.
    public void Scheduled()
    {
        if (_queuedMs < 0) _queuedMs = Stopwatch.GetElapsedTime(_submitted).TotalMilliseconds;
    }

    // Returns the milliseconds since the previous token (since submission for the first).
    public double Deliver(int token, int index, ServingFinishReason? finish, string? handedTo = null)
    {
        double elapsed = Stopwatch.GetElapsedTime(_submitted).TotalMilliseconds;
        _tokens.Writer.TryWrite(new ServedToken(token, index, elapsed, finish, Math.Max(_queuedMs, 0), handedTo));
        double gap = elapsed - _lastMs;
        _lastMs = elapsed;
        return gap;
    }

    // Ends the stream (with the error thrown to the reader, if any) after the request left the batcher.
    public void Close(Exception? error)
    {
        _tokens.Writer.TryComplete(error);
        _released.TrySetResult();
    }
}
