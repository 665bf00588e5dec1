using BlitzScale.Scaling.Planning;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// What a perfect live pair could give in one round of <c>bench live</c>: the burst's p99 TTFT in a fluid model of the
/// cluster, fed with blitz-fast's arrivals and load times, once with no pair (blitz-fast, checked against blitz-fast's
/// measured p99), once with an ideal pair of every load blitz pairs, once with an ideal pair of every load, and once with
/// the loads blitz pairs in complementary orders (<see cref="ComplementaryRate"/>), a design the grid does not have. Pure.
/// </summary>
/// <remarks>
/// <para>The model. Requests are served first come first served by the whole cluster as one server of rate R(t) requests a
/// second; request i starts when every earlier one has had its unit of work, and its TTFT is that wait plus the unloaded
/// latency (blitz-fast's steady-phase p50 TTFT). R(t) is the capacity C of one instance (the bench's, from the profile or
/// measured) times the instances holding every layer: the busy one, and each new one from its measured time Serving on.</para>
/// <para>An ideal pair. A loading instance holding a share x of the layers (landing evenly from the scale request to its time
/// Serving), paired with a whole instance that runs only the layers it lacks, the two as a pipeline with no latency and no
/// cost of the split: the pair serves C × min(1 ÷ (1 − x), 1 ÷ x) requests a second (2C at half the layers), C × (that − 1)
/// more than the whole instance alone. Each whole instance pairs with one loading instance at most (as in the grid), those
/// that gain most first. Where an instance is bound by its seats rather than its prefill (short prompts), a split request
/// holds a seat on both sides and a real pair gains less: the model's gain is an upper bound on what a pair gives.</para>
/// <para>So <see cref="LivePairModelFigures.IdealRatioBlitzPairs"/> is, in the model, the lowest blitz ÷ blitz-fast ratio a
/// live pair could reach in that round under the grid's rule for which loads pair (not one from inside its host,
/// <c>LocalLoads</c>), and <see cref="LivePairModelFigures.IdealRatioEveryLoad"/> the lowest with every load paired. A model's
/// figure, not a measurement: how far to trust it is what <see cref="LivePairModelFigures.ModelBlitzFastP99Ms"/> against
/// <see cref="LivePairModelFigures.MeasuredBlitzFastP99Ms"/> shows.</para>
/// <para>Complementary orders (not built). Two loading instances whose layers together cover the model serve as a pipeline,
/// one running the first layers and the other the rest, without a whole instance: so two loads that land their layers in
/// opposite orders (one from the first layer, one from the last) add two instances' capacity at half their load time,
/// where a pair with a whole instance adds at most one.
/// <see cref="LivePairModelFigures.IdealRatioComplementary"/> is the lowest ratio that design could reach in the model, if
/// each load kept its measured time (each load then needs a source of its own, as the serving GPU and the host copy's host
/// are in the over-network bench).</para>
/// </remarks>
internal static class LivePairModel
{
    /// <summary>The model's time step, seconds.</summary>
    internal const double Step = 0.001;

    /// <summary>
    /// The model's figures for blitz-fast's run of a round; null when the run lacks what the model needs (its log, the
    /// scale request's time, its new instances' times Serving, a steady p50 TTFT or a burst p99) or the capacity is unknown.
    /// </summary>
    public static LivePairModelFigures? Of(LivePolicyRun? blitzFast, double? capacityRps)
    {
        if (blitzFast is not { Log: { Count: > 0 } log, ScaleAtS: { } scaleAt, Figures: { SteadyTtftMs.P50: var unloaded, BurstTtftMs.P99: var measured } }
            || capacityRps is not > 0 || blitzFast.NewInstances.Count == 0 || blitzFast.NewInstances.Any(i => i.ServingAtS is null))
        {
            return null;
        }
        var arrivals = log.Select(r => new ModelArrival(r.ArrivalS, r.Phase == LivePhase.Burst)).ToList();
        var loads = blitzFast.NewInstances.Select(i => new ModelLoad(scaleAt, i.ServingAtS!.Value, PairsUnderBlitz(i.LoadedFrom))).ToList();
        double none = BurstP99Ms(arrivals, capacityRps.Value, unloaded, loads, _ => false);
        double blitzPairs = BurstP99Ms(arrivals, capacityRps.Value, unloaded, loads, l => l.PairsUnderBlitz);
        double every = BurstP99Ms(arrivals, capacityRps.Value, unloaded, loads, _ => true);
        double complementary = ComplementaryBurstP99Ms(arrivals, capacityRps.Value, unloaded, loads);
        double? Ratio(double ideal) => none > 0 ? Math.Round(ideal / none, 3) : null;
        return new LivePairModelFigures(Math.Round(measured, 3), Math.Round(none, 3), Math.Round(blitzPairs, 3), Math.Round(every, 3),
            Ratio(blitzPairs), Ratio(every))
        {
            IdealComplementaryP99Ms = Math.Round(complementary, 3),
            IdealRatioComplementary = Ratio(complementary),
        };
    }

    /// <summary>
    /// Whether the grid pairs a load fed as <paramref name="loadedFrom"/> says (<c>InstanceStatus.LoadedFrom</c>: each feed's
    /// source and link): one that crosses the network or comes from storage does; one wholly from inside its host (the host
    /// copy over PCIe, a neighbour over NVLink) does not.
    /// </summary>
    internal static bool PairsUnderBlitz(string? loadedFrom) =>
        loadedFrom is not null && (loadedFrom.Contains($"({nameof(LinkType.Network)})", StringComparison.Ordinal)
            || loadedFrom.Contains($"({nameof(LinkType.Storage)})", StringComparison.Ordinal));

    /// <summary>
    /// The burst requests' p99 TTFT (ms, nearest rank, as the bench's own) in the fluid model, the loads for which
    /// <paramref name="paired"/> holds served by ideal pairs while they load.
    /// </summary>
    internal static double BurstP99Ms(IReadOnlyList<ModelArrival> arrivals, double capacityRps, double unloadedMs, IReadOnlyList<ModelLoad> loads,
        Func<ModelLoad, bool> paired) =>
        BurstP99Ms(arrivals, loads, unloadedMs, (t, gains) => Rate(t, capacityRps, loads, paired, gains));

    // The burst's p99 with the cluster's rate at t given by rate (its second argument a scratch list for the pairs' gains).
    private static double BurstP99Ms(IReadOnlyList<ModelArrival> arrivals, IReadOnlyList<ModelLoad> loads, double unloadedMs,
        Func<double, List<double>, double> rate)
    {
        var ttft = new List<double>();
        double previousDone = double.NegativeInfinity;
        var gains = new List<double>(loads.Count);
        foreach (var arrival in arrivals.OrderBy(a => a.ArrivalS))
        {
            double start = Math.Max(arrival.ArrivalS, previousDone);
            // Integrate the rate from the start until this request's unit of work is done, on a fixed grid (deterministic).
            long step = (long)Math.Floor(start / Step);
            double work = 0;
            while (work < arrival.Work - 1e-9)
            {
                work += rate(step * Step, gains) * Step;
                step++;
            }
            previousDone = step * Step;
            if (arrival.Burst) ttft.Add((start - arrival.ArrivalS) * 1e3 + unloadedMs);
        }
        return Percentiles.Of(ttft).P99;
    }

    /// <summary>The burst requests' p99 TTFT (ms) in the fluid model with the loads blitz pairs in complementary orders (<see cref="ComplementaryRate"/>).</summary>
    internal static double ComplementaryBurstP99Ms(IReadOnlyList<ModelArrival> arrivals, double capacityRps, double unloadedMs, IReadOnlyList<ModelLoad> loads) =>
        BurstP99Ms(arrivals, loads, unloadedMs, (t, gains) => ComplementaryRate(t, capacityRps, loads, gains));

    /// <summary>The cluster's rate at <paramref name="t"/>: C per whole instance, plus the gains of ideal pairs.</summary>
    internal static double Rate(double t, double capacityRps, IReadOnlyList<ModelLoad> loads, Func<ModelLoad, bool> paired, List<double> gains)
    {
        int whole = 1;
        gains.Clear();
        foreach (var load in loads)
        {
            if (t >= load.ServingAtS) whole++;
            else if (paired(load)) gains.Add(PairGain(load.Share(t)));
        }
        return capacityRps * (whole + PartnerGains(whole, gains));
    }

    /// <summary>
    /// The cluster's rate at <paramref name="t"/> with the loads blitz pairs in complementary orders: taken two by two in the
    /// order they start (an odd one out as in <see cref="Rate"/>), the first of each two landing its layers from the first,
    /// the second from the last. While neither is whole: once their shares x and y cover the model (x + y ≥ 1) the two serve
    /// as a pipeline split at the share s of the layers in [1 − y, x] nearest ½, at C ÷ max(s, 1 − s) (2C from x = y = ½);
    /// before that, and once one of them is whole, each that loads may pair with a whole instance as in <see cref="Rate"/>
    /// (the second, holding the last layers, as the whole instance's tail: the same gain for the same share). So until the two
    /// cover the model the design gives what ideal pairs give where each has a whole partner; from then on their pipeline
    /// gives more than two pairs would (2C at half the layers each, where a pair's loading half binds past half), and needs
    /// no whole instance.
    /// </summary>
    internal static double ComplementaryRate(double t, double capacityRps, IReadOnlyList<ModelLoad> loads, List<double> gains)
    {
        int whole = 1;
        double pipelines = 0;
        gains.Clear();
        ModelLoad? first = null;
        foreach (var load in loads.OrderBy(l => l.ScaleAtS).ThenBy(l => l.ServingAtS))
        {
            if (!load.PairsUnderBlitz)
            {
                if (t >= load.ServingAtS) whole++;
                continue;
            }
            if (first is not { } head)
            {
                first = load;
                continue;
            }
            first = null;
            pipelines += Complementary(t, head, load, ref whole, gains);
        }
        if (first is { } odd)
        {
            if (t >= odd.ServingAtS) whole++;
            else gains.Add(PairGain(odd.Share(t)));
        }
        return capacityRps * (whole + pipelines + PartnerGains(whole, gains));
    }

    /// <summary>
    /// What two loads in complementary orders give at <paramref name="t"/>, in instances beside the whole ones: each that is
    /// whole counts in <paramref name="whole"/>; while neither is, C ÷ max(s, 1 − s) once they cover the model; otherwise
    /// each that loads adds its gain to <paramref name="gains"/>, for a whole partner.
    /// </summary>
    private static double Complementary(double t, ModelLoad forward, ModelLoad backward, ref int whole, List<double> gains)
    {
        bool forwardWhole = t >= forward.ServingAtS, backwardWhole = t >= backward.ServingAtS;
        if (forwardWhole) whole++;
        if (backwardWhole) whole++;
        if (!forwardWhole && !backwardWhole && forward.Share(t) + backward.Share(t) >= 1)
        {
            // min: x + y ≥ 1 in doubles need not give 1 − y ≤ x, and Clamp throws on an empty range.
            double x = forward.Share(t), split = Math.Clamp(0.5, Math.Min(1 - backward.Share(t), x), x);
            return 1 / Math.Max(split, 1 - split);
        }
        if (!forwardWhole) gains.Add(PairGain(forward.Share(t)));
        if (!backwardWhole) gains.Add(PairGain(backward.Share(t)));
        return 0;
    }

    // Each whole instance partners one loading instance; those gaining most first.
    private static double PartnerGains(int whole, List<double> gains)
    {
        if (gains.Count == 0) return 0;
        gains.Sort((a, b) => b.CompareTo(a));
        double sum = 0;
        for (int i = 0; i < Math.Min(whole, gains.Count); i++) sum += gains[i];
        return sum;
    }

    /// <summary>What an ideal pair adds, in instances, with its loading half holding <paramref name="share"/> of the layers: min(1 ÷ (1 − x), 1 ÷ x) − 1.</summary>
    internal static double PairGain(double share) => share is <= 0 or >= 1 ? 0 : Math.Min(1 / (1 - share), 1 / share) - 1;
}

/// <summary>One request's arrival in <see cref="LivePairModel"/>: when, whether in the burst (whose p99 is reported), and its work.</summary>
/// <param name="ArrivalS">When it arrived.</param>
/// <param name="Burst">Whether its TTFT counts in the p99.</param>
/// <param name="Work">Its work in units of the capacity's request (1 where every request has the same shape).</param>
internal readonly record struct ModelArrival(double ArrivalS, bool Burst, double Work = 1);

/// <summary>One new instance's load in <see cref="LivePairModel"/>: layers land evenly from the scale request until it is Serving.</summary>
/// <param name="ScaleAtS">The scale request.</param>
/// <param name="ServingAtS">When it held every layer and served.</param>
/// <param name="PairsUnderBlitz">Whether the grid pairs such a load (<see cref="LivePairModel.PairsUnderBlitz"/>).</param>
internal readonly record struct ModelLoad(double ScaleAtS, double ServingAtS, bool PairsUnderBlitz)
{
    /// <summary>The share of the layers landed at <paramref name="t"/>, in [0, 1].</summary>
    public double Share(double t) => ServingAtS <= ScaleAtS ? 1 : Math.Clamp((t - ScaleAtS) / (ServingAtS - ScaleAtS), 0, 1);
}

/// <summary>
/// One round's <see cref="LivePairModel"/> figures (ms): blitz-fast's measured burst p99 beside the model's, the model's with
/// ideal pairs of the loads blitz pairs and of every load, and each of those ÷ the model's blitz-fast p99.
/// </summary>
internal sealed record LivePairModelFigures(double MeasuredBlitzFastP99Ms, double ModelBlitzFastP99Ms, double IdealBlitzPairsP99Ms,
    double IdealEveryLoadP99Ms, double? IdealRatioBlitzPairs, double? IdealRatioEveryLoad)
{
    /// <summary>The model's p99 with the loads blitz pairs in complementary orders (<see cref="LivePairModel.ComplementaryRate"/>).</summary>
    public double IdealComplementaryP99Ms { get; init; }

    /// <summary><see cref="IdealComplementaryP99Ms"/> ÷ the model's blitz-fast p99.</summary>
    public double? IdealRatioComplementary { get; init; }
}
