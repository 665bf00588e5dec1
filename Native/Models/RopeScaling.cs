namespace BlitzScale.Native.Models;

/// <summary>Llama 3 style frequency-dependent RoPE scaling ("rope_type": "llama3").</summary>
public sealed record RopeScaling(
    double Factor,
    double LowFreqFactor,
    double HighFreqFactor,
    int OriginalMaxPositionEmbeddings);
