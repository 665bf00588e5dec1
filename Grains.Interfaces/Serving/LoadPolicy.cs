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
}
