using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Scaling.Autoscaling;

namespace BlitzScale.Grains.Serving;

/// <summary>A deployment's <see cref="AutoscaleSettings"/> (nulls meaning the defaults) as the policy's <see cref="AutoscalerOptions"/>, and back.</summary>
internal static class AutoscaleSettingsMap
{
    /// <param name="checkInstances">
    /// Whether <paramref name="instances"/> outside the autoscaler's range is an error: at deploy it is; when a model grain takes
    /// its deployment back from storage it is not (an operator's Scale may have gone past the range; the autoscaler brings the
    /// count back within, and a throw here would fail every call to the model).
    /// </param>
    /// <exception cref="ArgumentException">A field is out of range (the message names it), or the deployment's instances are outside the range.</exception>
    public static AutoscalerOptions ToOptions(AutoscaleSettings settings, int instances, bool checkInstances = true)
    {
        var defaults = new AutoscalerOptions();
        var options = new AutoscalerOptions
        {
            MinInstances = settings.MinInstances ?? defaults.MinInstances,
            MaxInstances = settings.MaxInstances ?? Math.Max(defaults.MaxInstances, instances),
            PrefillScaleDown = settings.PrefillScaleDown ?? defaults.PrefillScaleDown,
            PrefillScaleUp = settings.PrefillScaleUp ?? defaults.PrefillScaleUp,
            DecodeScaleDown = settings.DecodeScaleDown ?? defaults.DecodeScaleDown,
            DecodeScaleUp = settings.DecodeScaleUp ?? defaults.DecodeScaleUp,
            ScaleDownDelay = Duration(nameof(settings.ScaleDownDelayMs), settings.ScaleDownDelayMs, defaults.ScaleDownDelay),
            WarmUp = Duration(nameof(settings.WarmUpMs), settings.WarmUpMs, defaults.WarmUp),
            TickInterval = Duration(nameof(settings.TickIntervalMs), settings.TickIntervalMs, defaults.TickInterval),
            IdleTimeout = Duration(nameof(settings.IdleTimeoutMs), settings.IdleTimeoutMs, defaults.IdleTimeout),
            PrefillWindow = Duration(nameof(settings.PrefillWindowMs), settings.PrefillWindowMs, defaults.PrefillWindow),
            WarmKeep = Duration(nameof(settings.WarmKeepMs), settings.WarmKeepMs, defaults.WarmKeep),
        };
        options.Validate();
        if (checkInstances && (instances < options.MinInstances || instances > options.MaxInstances))
            throw new ArgumentException($"instances: with the autoscaler, expected {options.MinInstances} to {options.MaxInstances} (its minimum to maximum), found {instances}");
        return options;
    }

    /// <summary>The settings in effect, every field filled, for the model's status.</summary>
    public static AutoscaleSettings ToSettings(AutoscalerOptions options) => new()
    {
        MinInstances = options.MinInstances, MaxInstances = options.MaxInstances,
        PrefillScaleDown = options.PrefillScaleDown, PrefillScaleUp = options.PrefillScaleUp,
        DecodeScaleDown = options.DecodeScaleDown, DecodeScaleUp = options.DecodeScaleUp,
        ScaleDownDelayMs = options.ScaleDownDelay.TotalMilliseconds, WarmUpMs = options.WarmUp.TotalMilliseconds,
        TickIntervalMs = options.TickInterval.TotalMilliseconds, IdleTimeoutMs = options.IdleTimeout.TotalMilliseconds,
        PrefillWindowMs = options.PrefillWindow.TotalMilliseconds, WarmKeepMs = options.WarmKeep.TotalMilliseconds,
    };

    private static TimeSpan Duration(string field, double? ms, TimeSpan fallback)
    {
        if (ms is not { } value) return fallback;
        if (!double.IsFinite(value) || value < 0 || value > TimeSpan.FromDays(1).TotalMilliseconds)
            throw new ArgumentException($"autoscale {field}: expected 0 to 86400000 ms, found {value}");
        return TimeSpan.FromMilliseconds(value);
    }
}
