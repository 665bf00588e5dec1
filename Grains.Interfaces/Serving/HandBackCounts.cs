using System.Diagnostics.Metrics;

namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// Counts, while it lives, this process's ticket hand-backs that a second try joined and those past the stream's wait limit
/// (<see cref="ClientMetrics"/>): bench chaos's requests are its process's, so these are theirs; the tests count their own.
/// </summary>
internal sealed class HandBackCounts : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _secondTries;
    private long _pastLimit;

    public HandBackCounts()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ClientMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == ClientMetrics.HandBackSecondTriesName) Interlocked.Add(ref _secondTries, value);
            else if (instrument.Name == ClientMetrics.HandBacksPastLimitName) Interlocked.Add(ref _pastLimit, value);
        });
        _listener.Start();
    }

    public long SecondTries => Interlocked.Read(ref _secondTries);

    public long PastLimit => Interlocked.Read(ref _pastLimit);

    public void Dispose() => _listener.Dispose();
}
