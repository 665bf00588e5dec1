namespace BlitzScale.Scaling.Serving;

/// <summary>How a request ends once a token is sampled for it: the one rule every scheduler of an instance applies.</summary>
public static class FinishRule
{
    /// <summary>
    /// The finish reason after <paramref name="token"/> is sampled as output number <paramref name="index"/> (from 0):
    /// <see cref="ServingFinishReason.Eos"/> when it is EOS and the request stops at EOS (the token is then not output),
    /// <see cref="ServingFinishReason.Length"/> when it is the last token the request may generate, otherwise null.
    /// </summary>
    public static ServingFinishReason? After(int token, int index, int maxTokens, bool stopAtEos, int eosId) =>
        stopAtEos && token == eosId ? ServingFinishReason.Eos
        : index + 1 >= maxTokens ? ServingFinishReason.Length
        : null;
}
