using System.Runtime.CompilerServices;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Silo.Api;

/// <summary>One choice through the grid: the grid's updates become text pieces, cut at the first stop string.</summary>
internal static class ChoiceGeneration
{
    /// <summary>
    /// Streams the text of <paramref name="request"/>. Cancelling <paramref name="cancellationToken"/> (the client went
    /// away) cancels the generation on its instance, which frees its KV blocks; so does a stop string.
    /// </summary>
    public static async IAsyncEnumerable<ChoicePiece> RunAsync(IGrainFactory grains, string model, GenerateRequest request,
        IReadOnlyList<string> stops, ChoiceUsage usage, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var scanner = new StopScanner(stops);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var updates = grains.GenerateAsync(model, request, stop.Token).GetAsyncEnumerator(stop.Token);
        try
        {
            while (await updates.MoveNextAsync())
            {
                var update = updates.Current;
                if (update.PromptIds is { } prompt) usage.PromptTokens = prompt.Length;
                if (update.TokenId >= 0) usage.CompletionTokens++;
                string text = scanner.Push(update.Text);
                if (scanner.Stopped)
                {
                    // The rest is not wanted: stop the generation now rather than let it run to its end.
                    await stop.CancelAsync();
                    yield return new ChoicePiece(text, "stop");
                    yield break;
                }
                if (update.Finish is { } finish)
                {
                    if (finish == "cancelled") cancellationToken.ThrowIfCancellationRequested();
                    yield return new ChoicePiece(text + scanner.Flush(), FinishReason(finish));
                    yield break;
                }
                if (text.Length > 0) yield return new ChoicePiece(text, null);
            }
        }
        finally
        {
            await DisposeAsync(updates, stop.Token, cancellationToken);
        }
        // The stream ended without a finish reason: only a cancellation does that.
        cancellationToken.ThrowIfCancellationRequested();
        throw new InvalidOperationException("the instance ended the generation without a finish reason");
    }

    /// <summary>OpenAI's finish reason for the grid's: "eos" is "stop"; "length" stays; others pass as they are.</summary>
    public static string FinishReason(string finish) => finish == "eos" ? "stop" : finish;

    // Ending a stream that a stop string cancelled may report the cancellation: that is the intended end, not an error.
    private static async Task DisposeAsync(IAsyncEnumerator<GenerationUpdate> updates, CancellationToken stop, CancellationToken client)
    {
        try
        {
            await updates.DisposeAsync();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !client.IsCancellationRequested)
        {
        }
    }
}
