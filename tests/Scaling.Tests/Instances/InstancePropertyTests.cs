using BlitzScale.Scaling.Instances;
using Microsoft.Extensions.Time.Testing;
using static BlitzScale.Scaling.Instances.InstanceState;

namespace BlitzScale.Scaling.Tests.Instances;

/// <summary>Random event sequences (seeded) never leave the instances of a model in an invalid state.</summary>
public sealed class InstancePropertyTests
{
    private const int Layers = 3;
    private const int Instances = 4;

    [Fact]
    public void Random_event_sequences_keep_every_invariant()
    {
        int applied = 0, refused = 0;
        var appliedKinds = new HashSet<(InstanceState, InstanceState)>();
        for (int seed = 0; seed < 100; seed++)
        {
            var random = new Random(seed);
            var time = new FakeTimeProvider();
            var model = new ModelInstances(time);
            for (int i = 0; i < Instances; i++) model.Add(i, $"m/{i}/0", $"h{i % 2}/gpu{i}", $"h{i % 2}", Layers);

            for (int step = 0; step < 400; step++)
            {
                time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 50)));
                // Removed instances come back, so the walk keeps its population.
                int index = random.Next(Instances);
                if (model.Find(index) is null) model.Add(index, $"m/{index}/0", $"h0/gpu{index}", "h0", Layers);
                var before = Snapshot(model);
                var result = RandomEvent(model, index, random);
                if (result.Applied)
                {
                    applied++;
                    appliedKinds.Add((result.From, result.To));
                    Assert.Equal(before[result.Instance].State, result.From);
                    if (model.Find(result.Instance) is { } changed) Assert.Equal(result.To, changed.State);
                }
                else
                {
                    refused++;
                    Assert.False(string.IsNullOrWhiteSpace(result.Refusal));
                    Assert.Equal(before, Snapshot(model)); // a refusal changes nothing
                }
                CheckInvariants(model, time);
            }
        }
        // The walk must reach the interesting states, or it proves little.
        Assert.Contains((Loading, LiveNew), appliedKinds);
        Assert.Contains((LiveNew, InstanceState.Serving), appliedKinds);
        Assert.Contains((LiveNew, Failed), appliedKinds);
        Assert.Contains((LiveOld, Failed), appliedKinds);
        Assert.Contains((Draining, Warm), appliedKinds);
        Assert.Contains((Warm, Inactive), appliedKinds);
        Assert.Contains((Warm, InstanceState.Serving), appliedKinds);
        Assert.Contains((LiveNew, Loading), appliedKinds);
        Assert.True(applied > 5_000 && refused > 5_000, $"{applied} applied, {refused} refused");
    }

    private static TransitionResult RandomEvent(ModelInstances model, int index, Random random)
    {
        var instance = model.Find(index)!;
        // Weighted towards progress, so walks reach live pairs, draining and eviction, not only failures.
        int roll = random.Next(40);
        return roll switch
        {
            < 3 => model.StartLoading(index),
            // Mostly one more layer; sometimes a stale report or one past the total.
            < 10 => model.LayersLanded(index, Math.Min(Layers + 1, instance.LoadedLayers + (random.Next(4) == 0 ? random.Next(-1, 3) : 1))),
            < 13 => model.FinishLoading(index),
            < 18 => model.Pair(index, PreferServing(model, random)),
            < 19 => model.Unpair(index),
            < 23 => model.FinishLive(index),
            < 25 => model.Drain(index),
            < 27 => model.Drained(index),
            < 29 => model.Revive(index),
            < 31 => model.Evict(index),
            < 32 => model.Fail(index, "injected"),
            < 33 => model.Remove(index),
            _ => model.Reset(index),
        };
    }

    // Mostly a Serving partner (the only kind that pairs), sometimes any instance, to exercise the refusals.
    private static int PreferServing(ModelInstances model, Random random)
    {
        var serving = model.All.Where(i => i.State == InstanceState.Serving).ToList();
        return serving.Count > 0 && random.Next(4) > 0 ? serving[random.Next(serving.Count)].Index : random.Next(Instances);
    }

    private static Dictionary<int, (InstanceState State, int Loaded, int? Partner, string? Reason, DateTimeOffset Since)> Snapshot(ModelInstances model) =>
        model.All.ToDictionary(i => i.Index, i => (i.State, i.LoadedLayers, i.Partner, i.FailureReason, i.Since));

    private static void CheckInvariants(ModelInstances model, FakeTimeProvider time)
    {
        foreach (var i in model.All)
        {
            Assert.InRange(i.LoadedLayers, 0, i.TotalLayers);
            Assert.True(i.Since <= time.GetUtcNow());
            Assert.Equal(i.State == Failed, i.FailureReason is not null);
            Assert.Equal(i.State is LiveNew or LiveOld, i.Partner is not null);
            if (i.State is InstanceState.Serving or LiveOld or Draining or Warm) Assert.True(i.HoldsEveryLayer, i.ToString());
            if (i.State == Inactive) Assert.Equal(0, i.LoadedLayers);
            if (i.State == LiveNew) Assert.True(i.LoadedLayers >= 1, i.ToString());
            if (i.Partner is { } p)
            {
                var partner = model.Find(p);
                Assert.NotNull(partner);
                Assert.Equal(i.Index, partner.Partner);
                Assert.Equal(i.State == LiveNew ? LiveOld : LiveNew, partner.State);
            }
            Assert.Equal(i.State is InstanceState.Serving or LiveOld or LiveNew, i.TakesRequests);
            Assert.Same(i, model.FindByShard(i.Shard));
        }
        Assert.Equal(model.CountIn(LiveNew), model.CountIn(LiveOld));
        Assert.Equal(model.Count, model.CountByState().Values.Sum());
    }
}
