namespace BlitzScale.Scaling.Live;

/// <summary>
/// Loading instances marked by what their current load's plan says of them (<see cref="LocalLoads"/>, <see cref="TailLoads"/>):
/// a load planned again is judged again by its new plan; an instance that leaves is forgotten.
/// </summary>
public abstract class LoadMarks
{
    private readonly HashSet<int> _marked = [];

    /// <summary><paramref name="instance"/>'s load was planned (again): whether it is marked.</summary>
    public void Learn(int instance, bool marked)
    {
        if (marked) _marked.Add(instance);
        else _marked.Remove(instance);
    }

    /// <summary><paramref name="instance"/> is gone.</summary>
    public void Forget(int instance) => _marked.Remove(instance);

    /// <summary>Whether <paramref name="instance"/>'s current load is marked.</summary>
    protected bool Marked(int instance) => _marked.Contains(instance);
}
