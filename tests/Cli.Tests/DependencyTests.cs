using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests;

/// <summary>Pins which of our projects the <c>blitz</c> command depends on (see DESIGN.md: dependencies point one way).</summary>
public sealed class DependencyTests
{
    // The command may host an embedded grid (Silo), run the engine locally (Native) and replay the batcher (Scaling);
    // it talks to the grid only through the client library.
    [Fact]
    public void The_cli_references_the_client_library_and_what_an_embedded_grid_needs() =>
        Assert.Equal(new string[] { "Client", "Native", "Scaling", "Silo" }, ProjectReferences.Of("Cli"));
}
