using System.Text;
using Microsoft.AspNetCore.Http;

namespace BlitzScale.Silo;

/// <summary>
/// Gives the <c>vllm_…</c> families on the metrics page vLLM's own names, <c>vllm:…</c>. OpenTelemetry's instrument
/// names cannot hold a colon (the SDK drops such instruments) and prometheus-net refuses one too, so the serving
/// metrics are instruments named <c>vllm_…</c> and this renames them on the exporter's page: the metric name is the
/// first token of a sample line and the third of a <c># TYPE</c>/<c># HELP</c>/<c># UNIT</c> line, in both the text and
/// the OpenMetrics format. Nothing else on the page changes.
/// </summary>
internal static class VllmNames
{
    /// <summary>How the instruments are named.</summary>
    public const string InstrumentPrefix = "vllm_";

    /// <summary>How vLLM names them.</summary>
    public const string PagePrefix = "vllm:";

    /// <summary>The page with every <c>vllm_</c> family renamed.</summary>
    public static string Rewrite(string page)
    {
        var lines = page.Split('\n');
        for (int i = 0; i < lines.Length; i++) lines[i] = RewriteLine(lines[i]);
        return string.Join('\n', lines);
    }

    /// <summary>Runs the exporter into a buffer, then writes its page renamed.</summary>
    public static async Task Middleware(HttpContext context, RequestDelegate next)
    {
        var body = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = body;
        }
        byte[] page = Encoding.UTF8.GetBytes(Rewrite(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)));
        context.Response.ContentLength = page.Length;
        await body.WriteAsync(page, context.RequestAborted);
    }

    private static string RewriteLine(string line)
    {
        if (line.StartsWith(InstrumentPrefix, StringComparison.Ordinal)) return PagePrefix + line[InstrumentPrefix.Length..];
        if (!line.StartsWith("# ", StringComparison.Ordinal)) return line;
        int name = line.IndexOf(' ', 2) + 1;
        return name > 0 && string.CompareOrdinal(line, name, InstrumentPrefix, 0, InstrumentPrefix.Length) == 0
            ? line[..name] + PagePrefix + line[(name + InstrumentPrefix.Length)..]
            : line;
    }
}
