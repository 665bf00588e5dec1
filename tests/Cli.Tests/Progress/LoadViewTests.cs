using BlitzScale.Cli.Progress;
using Spectre.Console;
using Spectre.Console.Testing;

namespace BlitzScale.Cli.Tests.Progress;

public sealed class LoadViewTests
{
    private static readonly InstanceLoad Halfway = new("m/1/0", "b/gpu0", 3, 6, 3_000_000, 6_000_000, 1500);

    [Fact]
    public void Plain_lines_show_landed_layers_with_their_rate_and_the_outcome_but_not_byte_only_progress()
    {
        var output = new StringWriter();
        var view = new PlainLoadView(output);

        view.Update(Halfway, layerLanded: false);
        view.Update(Halfway, layerLanded: true);
        view.Update(Halfway with { Outcome = "Serving", Detail = "from a/gpu0 (Network)" }, layerLanded: false);

        Assert.Equal(
            "m/1/0: 3/6 layers, 3.0/6.0 MB, 1.50 s, 2.0 MB/s" + Environment.NewLine + "m/1/0: Serving: from a/gpu0 (Network)" + Environment.NewLine,
            output.ToString());
    }

    [Fact]
    public void The_live_display_shows_a_bar_per_instance_with_layers_bytes_and_rate()
    {
        var console = new TestConsole().Interactive().Width(160);

        console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new PercentageColumn())
            .Start(context => new LiveLoadView(context).Update(Halfway, layerLanded: true));

        Assert.Contains("m/1/0 on b/gpu0: 3/6 layers, 3.0/6.0 MB, 2.0 MB/s", console.Output);
        Assert.Contains("50%", console.Output);
    }

    [Fact]
    public void The_live_display_completes_an_instance_that_serves_and_names_its_feeds()
    {
        var console = new TestConsole().Interactive().Width(160);

        console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new PercentageColumn())
            .Start(context =>
            {
                var view = new LiveLoadView(context);
                view.Update(Halfway, layerLanded: true);
                view.Update(Halfway with { Outcome = "Serving", Detail = "from a/gpu0 (Network)" }, layerLanded: false);
            });

        Assert.Contains("m/1/0 on b/gpu0: Serving (from a/gpu0 (Network))", console.Output);
        Assert.Contains("100%", console.Output);
    }
}
