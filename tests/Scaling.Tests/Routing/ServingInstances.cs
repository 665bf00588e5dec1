using BlitzScale.Scaling.Instances;

namespace BlitzScale.Scaling.Tests.Routing;

/// <summary>The routing tests' one way to bring an instance to Serving: added on host h0, loaded whole.</summary>
internal static class ServingInstances
{
    public static void AddServing(this ModelInstances model, int index, int layers)
    {
        model.Add(index, $"m/{index}/0", $"h0/gpu{index}", "h0", layers);
        model.StartLoading(index);
        model.LayersLanded(index, layers);
        model.FinishLoading(index);
    }
}
