using System.Diagnostics.Metrics;

namespace BlitzScale.Grains.Tests.Telemetry;

/// <summary>Every measurement recorded on one meter (and no other), by instrument name, with its tags.</summary>
internal sealed class MeasurementLog : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, Dictionary<string, string?> Tags)> _measurements = [];

    public MeasurementLog(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    /// <summary>Reads the observable gauges now; their values join the log.</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    /// <summary>The values recorded on <paramref name="instrument"/> whose tags include all of <paramref name="tags"/>, in order.</summary>
    public IReadOnlyList<double> Values(string instrument, params (string Name, string Value)[] tags)
    {
        lock (_measurements)
        {
            return _measurements.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.GetValueOrDefault(t.Name) == t.Value))
                .Select(m => m.Value).ToList();
        }
    }

    public void Clear()
    {
        lock (_measurements) _measurements.Clear();
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var tag in tags) copy[tag.Key] = tag.Value?.ToString();
        lock (_measurements) _measurements.Add((instrument.Name, value, copy));
    }
}
