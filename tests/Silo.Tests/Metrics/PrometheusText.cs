using System.Globalization;
using System.Text.RegularExpressions;

namespace BlitzScale.Silo.Tests.Metrics;

/// <summary>
/// A page in Prometheus' text exposition format, read the way a scraper reads it: <c># TYPE name type</c> lines and
/// <c>name{label="value",…} value</c> samples. Enough for checking names, types, labels and values.
/// </summary>
internal sealed partial class PrometheusText
{
    private PrometheusText(IReadOnlyDictionary<string, string> types, IReadOnlyList<Sample> samples)
    {
        Types = types;
        Samples = samples;
    }

    /// <summary>Each metric family's declared type: counter, gauge, histogram, summary, untyped.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public IReadOnlyList<Sample> Samples { get; }

    /// <exception cref="FormatException">A line is neither a comment nor a sample.</exception>
    public static PrometheusText Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<Sample>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 4 && parts[1] == "TYPE") types[parts[2]] = parts[3];
                continue;
            }
            var match = SampleLine().Match(line);
            if (!match.Success) throw new FormatException($"not a sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
                labels[label.Groups["name"].Value] = Regex.Unescape(label.Groups["value"].Value);
            samples.Add(new Sample(match.Groups["name"].Value, labels, ParseValue(match.Groups["value"].Value)));
        }
        return new PrometheusText(types, samples);
    }

    /// <summary>The samples named <paramref name="name"/> whose labels include every pair of <paramref name="labels"/>.</summary>
    public IEnumerable<Sample> Find(string name, params (string Name, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value));

    /// <summary>The one sample named <paramref name="name"/> with those labels.</summary>
    public double Value(string name, params (string Name, string Value)[] labels)
    {
        var found = Find(name, labels).ToList();
        return found.Count == 1
            ? found[0].Value
            : throw new InvalidOperationException($"{found.Count} samples of {name} with {string.Join(",", labels)}");
    }

    private static double ParseValue(string value) => value switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\S+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(""""(?<name>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)"""")]
    private static partial Regex LabelPair();

    /// <summary>One sample line.</summary>
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
}
