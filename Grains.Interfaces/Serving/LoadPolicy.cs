namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>How a deployment's instances get their parameters, and which host-memory copies of the model exist.</summary>
public enum LoadPolicy
{
    /// <summary>
    /// BlitzScale: one host-memory copy in the whole cluster; new instances are fed by GPUs that hold the model,
    /// multicast along chains the planner builds; the host copy only when no GPU holds it, storage only when neither exists.
    /// </summary>
    Blitz,
    /// <summary>
    /// ServerlessLLM-style baseline: every host that loads the model keeps its own host-memory copy for a keep-alive
    /// period; a miss reads the model files from storage; an instance serves only once fully loaded.
    /// </summary>
    Sllm,
    /// <summary>Baseline: every host holds every deployed model in host memory; instances load from their own host's copy.</summary>
    AllCache,
    /// <summary>
    /// BlitzScale without live scaling: loads exactly as <see cref="Blitz"/> (one host copy, multicast chains from GPUs), but a
    /// new instance takes requests only once every layer has landed. The baseline that isolates what live scaling adds.
    /// </summary>
    BlitzFast,
}

/// <summary>What each <see cref="LoadPolicy"/> does.</summary>
public static class LoadPolicies
{
    /// <summary>Whether new instances are fed by GPUs along multicast chains, with one host copy in the cluster (blitz, blitz-fast).</summary>
    public static bool Multicasts(this LoadPolicy policy) => policy is LoadPolicy.Blitz or LoadPolicy.BlitzFast;

    /// <summary>Whether a loading instance serves with the layers it has, paired with a serving one (blitz only).</summary>
    public static bool ScalesLive(this LoadPolicy policy) => policy == LoadPolicy.Blitz;
}
