using BlitzScale.Scaling.Live;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Scaling.Tests.Live;

/// <summary>Seeded random walks of admits, advances, pulls, moves, removals and layer landings, checked against the rules after every step.</summary>
public sealed class ZigZagSchedulerPropertyTests
{
    private const int Steps = 600;

    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        for (var seed = 1; seed <= 40; seed++) seeds.Add(seed);
        return seeds;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_random_walk_keeps_every_rule(int seed)
    {
        var walk = new Walk(seed);
        for (var step = 0; step < Steps; step++)
        {
            walk.Step();
            walk.Check();
        }
        // The walk must have exercised what it checks, or it proves nothing.
        Assert.True(walk.Pulls > 0, $"no request was pulled: {walk}");
        Assert.True(walk.Advances > 0, "no request advanced");
        Assert.True(walk.Moves > 0, "no request moved");
    }

    private sealed class Walk
    {
        private readonly Random _random;
        private readonly FakeTimeProvider _time = new();
        private readonly ZigZagScheduler _scheduler;
        private readonly int _layers;
        private readonly List<string> _alive = [];
        private readonly HashSet<string> _removed = new(StringComparer.Ordinal);
        private readonly HashSet<string> _pulled = new(StringComparer.Ordinal);
        private readonly List<string> _inFlight = [];
        private readonly Dictionary<string, int> _progress = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _splitAt = new(StringComparer.Ordinal);
        private int _loaded;
        private readonly int[] _landings;
        private int _nextId;
        private int _step;

        public Walk(int seed)
        {
            _random = new Random(seed);
            _layers = _random.Next(3, 12);
            _landings = [.. Enumerable.Range(0, _layers).Select(_ => _random.Next(Steps)).Order()];
            var options = new ZigZagOptions { InitialLimit = _random.Next(1, 5), LowerAfter = TimeSpan.FromMilliseconds(200) };
            _scheduler = new ZigZagScheduler(_layers, options, _time);
        }

        public int Pulls { get; private set; }

        public override string ToString() =>
            $"L {_layers}, loaded {_loaded}, limit {_scheduler.Limit}, split {_scheduler.Split}, queued {_scheduler.Queued}, count {_scheduler.Count}";
        public int Advances { get; private set; }

        public void Step()
        {
            // Layers land at random steps spread over the walk, so that requests spend time blocked at every count.
            while (_loaded < _layers && _landings[_loaded] <= _step) _loaded++;
            _step++;
            switch (_random.Next(100))
            {
                case < 20: Admit(); break;
                case < 44: Plan(); break;
                case < 62: Finish(); break;
                case < 76: Pull(); break;
                case < 80: Move(); break;
                case < 90: Remove(); break;
                default:
                    _time.Advance(TimeSpan.FromMilliseconds(_random.Next(0, 150)));
                    _scheduler.ObserveLoad(_loaded);
                    break;
            }
        }

        private void Admit()
        {
            var id = $"r{_nextId++}";
            var request = _scheduler.Admit(id, _random.Next(1, 60));
            Assert.Equal((LiveRequestState.Queued, 0, (int?)null), (request.State, request.Progress, request.SplitLayer));
            _alive.Add(id);
            _progress[id] = 0;
        }

        // Queued requests in arrival order, as the scheduler holds them now.
        private List<LiveRequest> QueuedInOrder() =>
            [.. _alive.Select(id => _scheduler.Find(id)!).Where(r => r.State == LiveRequestState.Queued).OrderBy(r => r.Order)];

        private void Plan()
        {
            var budget = _random.Next(1, 120);
            var ready = QueuedInOrder().Where(r => r.Progress < _loaded).ToList();
            var plan = _scheduler.PlanAdvance(_loaded, budget);

            // FCFS prefix of the ready requests, at least one when any is ready, within the budget unless alone.
            Assert.Equal(ready.Take(plan.Count).Select(r => r.Id), plan.Select(a => a.Id));
            Assert.Equal(ready.Count > 0, plan.Count > 0);
            var used = plan.Sum(a => a.PromptTokens);
            if (plan.Count > 1) Assert.True(used <= budget, $"plan uses {used} tokens of {budget}");
            if (plan.Count < ready.Count) Assert.True(used >= budget || used + ready[plan.Count].PromptTokens > budget, "the plan stopped early");
            foreach (var advance in plan)
            {
                Assert.Equal((_progress[advance.Id], _loaded), (advance.FromLayer, advance.EndLayer));
                Assert.Equal(LiveRequestState.Advancing, _scheduler.Find(advance.Id)!.State);
                _inFlight.Add(advance.Id);
            }
        }

        private void Finish()
        {
            if (_inFlight.Count == 0) return;
            var id = _inFlight[_random.Next(_inFlight.Count)];
            _inFlight.Remove(id);
            if (_random.Next(5) == 0)
            {
                _scheduler.AdvanceAborted(id);
                return;
            }
            _scheduler.Advanced(id);
            Advances++;
        }

        private void Pull()
        {
            var expected = _scheduler.Split < _scheduler.Limit
                ? QueuedInOrder().FirstOrDefault(r => r.Progress == _loaded && r.Progress > 0 && r.Progress < _layers)
                : null;
            var pulled = _scheduler.Pull(_loaded);
            Assert.Equal(expected?.Id, pulled?.Id);
            if (pulled is null) return;
            Assert.True(_pulled.Add(pulled.Id), $"{pulled.Id} was pulled twice");
            Assert.True(_scheduler.Split <= _scheduler.Limit, $"{_scheduler.Split} split over a limit of {_scheduler.Limit}");
            Assert.Equal((LiveRequestState.Split, (int?)pulled.Progress), (pulled.State, pulled.SplitLayer));
            _splitAt[pulled.Id] = pulled.Progress;
            Pulls++;
        }

        // A split request's keys and values moved to LiveOld: it leaves the split count, once.
        private void Move()
        {
            var split = _alive.Select(id => _scheduler.Find(id)!).Where(r => r.State == LiveRequestState.Split).ToList();
            if (split.Count == 0) return;
            var request = split[_random.Next(split.Count)];
            int before = _scheduler.Split;
            _scheduler.Moved(request.Id);
            Assert.Equal((LiveRequestState.Moved, before - 1), (request.State, _scheduler.Split));
            Assert.Throws<InvalidOperationException>(() => _scheduler.Moved(request.Id));
            Moves++;
        }

        public int Moves { get; private set; }

        private void Remove()
        {
            if (_alive.Count == 0 || _random.Next(10) == 0)
            {
                Assert.False(_scheduler.Remove($"unknown{_nextId}"));
                return;
            }
            var id = _alive[_random.Next(_alive.Count)];
            Assert.True(_scheduler.Remove(id));
            _alive.Remove(id);
            _inFlight.Remove(id);
            _removed.Add(id);
        }

        public void Check()
        {
            var states = new Dictionary<LiveRequestState, int>();
            foreach (var id in _alive)
            {
                var request = _scheduler.Find(id);
                Assert.NotNull(request); // never lost
                Assert.True(request.Progress >= _progress[id], $"{id}'s progress went back");
                Assert.True(request.Progress <= _loaded, $"{id} ran {request.Progress} layers of {_loaded} loaded");
                _progress[id] = request.Progress;
                Assert.Equal(_splitAt.TryGetValue(id, out var j) ? j : null, request.SplitLayer);
                Assert.Equal(request.State == LiveRequestState.Advancing, _inFlight.Contains(id));
                if (request.State == LiveRequestState.Local) Assert.Equal(_layers, request.Progress);
                states[request.State] = states.GetValueOrDefault(request.State) + 1;
            }
            Assert.All(_removed, id => Assert.Null(_scheduler.Find(id)));
            Assert.Equal(_alive.Count, _scheduler.Count);
            Assert.Equal(states.GetValueOrDefault(LiveRequestState.Queued), _scheduler.Queued);
            Assert.Equal(states.GetValueOrDefault(LiveRequestState.Split), _scheduler.Split);
            Assert.Equal(states.GetValueOrDefault(LiveRequestState.Local), _scheduler.Local);
            Assert.InRange(_scheduler.Limit, 1, 4);
        }
    }
}
