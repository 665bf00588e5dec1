using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>A request that can never run on this instance (too large for its KV cache or the model's context, or a duplicate id).</summary>
public sealed class RequestRejectedException : Exception
{
    /// <summary>A rejection for <paramref name="reason"/>, explained by <paramref name="message"/>.</summary>
    public RequestRejectedException(AdmitStatus reason, string message) : base(message) => Reason = reason;

    /// <summary>Why it was refused.</summary>
    public AdmitStatus Reason { get; }
}
