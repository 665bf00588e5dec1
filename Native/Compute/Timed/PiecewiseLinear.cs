namespace BlitzScale.Native.Compute.Timed;

/// <summary>Piecewise-linear interpolation over sorted points, extrapolated linearly beyond the last two.</summary>
internal static class PiecewiseLinear
{
    /// <summary>The curve's value at <paramref name="x"/> (at least 1; at least two points, sizes ascending and distinct).</summary>
    public static double At(IReadOnlyList<CostPoint> points, double x)
    {
        if (x <= points[0].Size) return points[0].Milliseconds;
        for (int i = 1; i < points.Count; i++)
        {
            if (x <= points[i].Size) return Line(points[i - 1], points[i], x);
        }
        // Beyond the last point: the line through the last two. A measured curve can dip there (launch-bound
        // small steps), and a falling line would reach zero or below: more work never costs less than the last point.
        var last = points[^1];
        return Math.Max(last.Milliseconds, Line(points[^2], last, x));
    }

    private static double Line(CostPoint a, CostPoint b, double x) =>
        a.Milliseconds + (b.Milliseconds - a.Milliseconds) * (x - a.Size) / (b.Size - a.Size);
}
