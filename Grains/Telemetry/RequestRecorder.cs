using BlitzScale.Grains.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Telemetry;

/// <summary>
/// One request's contribution to the serving metrics, fed its tokens as they stream: prompt tokens once prefilled,
/// each generated token, TTFT, the gaps between tokens, and at the end its queue time, e2e latency and finish reason.
/// </summary>
internal sealed class RequestRecorder(ServingMetrics metrics, string model, int promptTokens)
{
    private readonly KeyValuePair<string, object?> _tag = ServingMetrics.ModelTag(model);
    private double _previousMs = -1;
    private bool _ended;

    /// <summary>One element of the served stream (a token, or the EOS end marker).</summary>
    public void Token(ServedToken token)
    {
        if (token.TokenId >= 0)
        {
            if (_previousMs < 0)
            {
                // The first token means the prompt was prefilled: vLLM counts prompt tokens as they are computed.
                metrics.PromptTokens.Add(promptTokens, _tag);
                metrics.TimeToFirstToken.Record(token.ElapsedMs / 1000, _tag);
                metrics.QueueTime.Record(token.QueuedMs / 1000, _tag);
            }
            else
            {
                metrics.InterTokenLatency.Record((token.ElapsedMs - _previousMs) / 1000, _tag);
            }
            metrics.GenerationTokens.Add(1, _tag);
            _previousMs = token.ElapsedMs;
        }
        if (token.Finish is { } finish)
        {
            _ended = true;
            metrics.EndToEnd.Record(token.ElapsedMs / 1000, _tag);
            Success(FinishedReason(finish));
        }
    }

    /// <summary>The stream ended; a request that ended without a finish reason (cancelled, failed) counts as aborted.</summary>
    public void Ended()
    {
        if (_ended) return;
        _ended = true;
        Success("abort");
    }

    private void Success(string reason) =>
        metrics.RequestSuccess.Add(1, _tag, new KeyValuePair<string, object?>(MetricLabels.FinishedReason, reason));

    // vLLM's words: "stop" (EOS or a stop string), "length" (max tokens), "abort".
    private static string FinishedReason(ServingFinishReason finish) => finish switch
    {
        ServingFinishReason.Eos => "stop",
        ServingFinishReason.Length => "length",
        _ => "abort",
    };
}
