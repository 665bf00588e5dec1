using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// Polls a model's status until a condition holds, within a bound. Calls fail while a killed silo is not yet declared dead
/// (the status asks every instance's shard, and the model grain itself may be moving): those failures are waited out too.
/// </summary>
internal static class StatusPoll
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    /// <summary>The first non-null <paramref name="pick"/> of the status; a <see cref="TimeoutException"/> naming what was last seen after <see cref="Limit"/>.</summary>
    public static async Task<T> WaitFor<T>(IModelGrain model, Func<ModelStatus, T?> pick, string failure) where T : class
    {
        var deadline = DateTime.UtcNow + Limit;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var status = await model.GetStatus();
                if (pick(status) is { } found) return found;
                last = Describe(status);
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                last = e.Message;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"{failure} after {Limit.TotalSeconds} s; last seen: {last}");
    }

    /// <summary>The first non-null value <paramref name="read"/> returns, its failures waited out; a <see cref="TimeoutException"/> after <see cref="Limit"/>.</summary>
    public static async Task<T> Until<T>(Func<Task<T?>> read, string failure) where T : class
    {
        var deadline = DateTime.UtcNow + Limit;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await read() is { } found) return found;
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                last = e.Message;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"{failure} after {Limit.TotalSeconds} s; last error: {last}");
    }

    /// <summary>
    /// Returns once <paramref name="condition"/> holds; a <see cref="TimeoutException"/> saying <paramref name="failure"/> after
    /// <paramref name="limit"/> (<see cref="Limit"/> when not given).
    /// </summary>
    public static async Task Until(Func<bool> condition, string failure, TimeSpan? limit = null)
    {
        var wait = limit ?? Limit;
        var deadline = DateTime.UtcNow + wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{failure} after {wait.TotalSeconds} s");
            await Task.Delay(20);
        }
    }

    public static string Describe(ModelStatus status) =>
        string.Join("; ", status.Instances.Select(i => $"{i.Shard} {i.Gpu} {i.State} {i.LoadedLayers}/{i.TotalLayers} layers {i.LoadedBytes} B from {i.LoadedFrom} {i.Error}"))
        + $"; host copies [{string.Join(", ", status.HostCopies ?? [])}]";
}
