namespace BlitzScale.Scaling.Planning;

/// <summary>What the instance on a source GPU does, which decides whether it should send parameters.</summary>
public enum SourceRole
{
    /// <summary>A prefill instance in prefill/decode disaggregation: its outbound link carries KV caches to decode instances, so it sends parameters only when nothing else can.</summary>
    Prefill,

    /// <summary>A decode instance in prefill/decode disaggregation: its outbound link is mostly idle, so it is the preferred sender.</summary>
    Decode,

    /// <summary>An instance that does both phases (no disaggregation).</summary>
    Serving,
}
