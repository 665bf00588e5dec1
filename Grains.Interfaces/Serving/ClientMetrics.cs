using System.Diagnostics.Metrics;

namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// What the client side of the grid counts, on the meter <see cref="MeterName"/> (an OpenTelemetry exporter subscribes with
/// <c>AddMeter(ClientMetrics.MeterName)</c>). The silos' own metrics are on another meter, <c>BlitzScale</c>.
/// </summary>
public static class ClientMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "BlitzScale.Client";

    /// <summary>The counter of ticket hand-backs that a second try joined (the first stood unanswered for 250 ms).</summary>
    public const string HandBackSecondTriesName = "blitzscale_client_hand_back_second_tries";

    /// <summary>The counter of ticket hand-backs still unanswered at the stream's 2 s limit (they went on in the background).</summary>
    public const string HandBacksPastLimitName = "blitzscale_client_hand_backs_past_limit";

    private static readonly Meter Meter = new(MeterName);

    internal static readonly Counter<long> HandBackSecondTries = Meter.CreateCounter<long>(HandBackSecondTriesName,
        description: "Ticket hand-backs to the model grain that a second try joined after the first stood unanswered");

    internal static readonly Counter<long> HandBacksPastLimit = Meter.CreateCounter<long>(HandBacksPastLimitName,
        description: "Ticket hand-backs still unanswered when the request's stream ended at the wait limit");
}
