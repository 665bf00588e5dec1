namespace BlitzScale.Scaling.Serving;

/// <summary>Why a served request ended.</summary>
public enum ServingFinishReason
{
    /// <summary>The model produced EOS (not part of the output).</summary>
    Eos,
    /// <summary>MaxTokens were generated.</summary>
    Length,
    /// <summary>The caller cancelled it.</summary>
    Cancelled,
}
