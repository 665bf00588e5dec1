using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Placement;

/// <summary>
/// The host a call's target must live on, carried in the request context so the placement director can
/// read it when the call activates the grain. Also the silo metadata key that says which host a silo is.
/// </summary>
public static class HostContext
{
    /// <summary>Request-context and silo-metadata key.</summary>
    public const string Key = GridGeneration.HostContextKey;

    /// <summary>Runs <paramref name="call"/> with the target host set for any activation it causes.</summary>
    public static async Task<T> On<T>(string host, Func<Task<T>> call)
    {
        object? previous = RequestContext.Get(Key);
        RequestContext.Set(Key, host);
        try
        {
            return await call();
        }
        finally
        {
            if (previous is null) RequestContext.Remove(Key);
            else RequestContext.Set(Key, previous);
        }
    }

    /// <summary>Sets the target host for the calls that follow on this async flow.</summary>
    public static void Set(string host) => RequestContext.Set(Key, host);
}
