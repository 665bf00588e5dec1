using BlitzScale.Tests.Shared;

namespace BlitzScale.Client.Tests;

/// <summary>Pins which of our projects Client may depend on (see DESIGN.md: dependencies point one way).</summary>
public sealed class DependencyTests
{
    // A service that embeds the client gets the grain interfaces and the Orleans client, never the server or the engine.
    [Fact]
    public void The_client_library_references_only_the_grain_interfaces() =>
        Assert.Equal(new string[] { "Grains.Interfaces" }, ProjectReferences.Of("Client"));

    [Fact]
    public void The_client_assembly_loads_no_server_or_engine_assembly()
    {
        var ours = typeof(BlitzScaleClient).Assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("BlitzScale.", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        Assert.Equal(new string[] { "BlitzScale.Grains.Interfaces" }, ours);
    }
}
