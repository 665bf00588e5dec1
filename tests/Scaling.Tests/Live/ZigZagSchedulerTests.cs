using BlitzScale.Scaling.Live;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Scaling.Tests.Live;

public sealed class ZigZagSchedulerTests
{
    private const int Layers = 8;

    private static ZigZagScheduler NewScheduler(int limit = 4) =>
        new(Layers, new ZigZagOptions { InitialLimit = limit }, new FakeTimeProvider());

    // Runs every planned advance to completion.
    private static IReadOnlyList<LiveAdvance> AdvanceAll(ZigZagScheduler scheduler, int loaded, int budget = int.MaxValue)
    {
        var plan = scheduler.PlanAdvance(loaded, budget);
        foreach (var advance in plan) scheduler.Advanced(advance.Id);
        return plan;
    }

    [Fact]
    public void Ready_requests_advance_first_come_first_served_through_the_loaded_layers()
    {
        var scheduler = NewScheduler();
        scheduler.Admit("a", 10);
        scheduler.Admit("b", 20);
        scheduler.Admit("c", 30);

        var plan = scheduler.PlanAdvance(3, 1000);

        Assert.Equal(
            [new LiveAdvance("a", 0, 3, 10), new LiveAdvance("b", 0, 3, 20), new LiveAdvance("c", 0, 3, 30)], plan);
        Assert.All(plan, a => Assert.Equal(LiveRequestState.Advancing, scheduler.Find(a.Id)!.State));
        Assert.Equal(0, scheduler.Queued);
        Assert.Equal(3, scheduler.Count);
    }

    [Fact]
    public void Nothing_advances_before_any_layer_is_loaded()
    {
        var scheduler = NewScheduler();
        scheduler.Admit("a", 10);
        Assert.Empty(scheduler.PlanAdvance(0, 100));
        Assert.Null(scheduler.Pull(0));
        Assert.Equal(LiveRequestState.Queued, scheduler.Find("a")!.State);
    }

    [Fact]
    public void A_request_whose_next_layer_is_loaded_goes_before_an_older_blocked_one()
    {
        var scheduler = NewScheduler();
        scheduler.Admit("old", 10);
        AdvanceAll(scheduler, 2);
        scheduler.Admit("new", 10);

        Assert.Equal([new LiveAdvance("new", 0, 2, 10)], scheduler.PlanAdvance(2, 1000));
        scheduler.Advanced("new");

        // A layer lands: both are ready again, and FCFS puts the older one first.
        var plan = scheduler.PlanAdvance(3, 1000);
        Assert.Equal([new LiveAdvance("old", 2, 3, 10), new LiveAdvance("new", 2, 3, 10)], plan);
    }

    [Fact]
    public void The_token_budget_ends_the_plan_without_letting_a_later_request_overtake()
    {
        var scheduler = NewScheduler();
        scheduler.Admit("a", 40);
        scheduler.Admit("b", 50);
        scheduler.Admit("c", 5);

        Assert.Equal(["a"], scheduler.PlanAdvance(2, 60).Select(a => a.Id));
        Assert.Equal(["b", "c"], scheduler.PlanAdvance(2, 60).Select(a => a.Id));
    }

    [Fact]
    public void A_prompt_bigger_than_the_budget_still_advances_alone()
    {
        var scheduler = NewScheduler();
        scheduler.Admit("huge", 5000);
        scheduler.Admit("small", 1);

        Assert.Equal([new LiveAdvance("huge", 0, 1, 5000)], scheduler.PlanAdvance(1, 100));
    }

    [Fact]
    public void Advancing_through_the_last_layer_makes_a_request_local()
    {
        var scheduler = NewScheduler();
        var request = scheduler.Admit("a", 10);
        AdvanceAll(scheduler, 5);
        Assert.Equal((LiveRequestState.Queued, 5), (request.State, request.Progress));

        AdvanceAll(scheduler, Layers);

        Assert.Equal((LiveRequestState.Local, Layers, (int?)null), (request.State, request.Progress, request.SplitLayer));
        Assert.Equal(1, scheduler.Local);
        Assert.Equal(0, scheduler.Queued);
        Assert.Empty(scheduler.PlanAdvance(Layers, 100));
        Assert.Null(scheduler.Pull(Layers));
    }

    [Fact]
    public void An_aborted_advance_is_queued_again_with_its_old_progress()
    {
        var scheduler = NewScheduler();
        var request = scheduler.Admit("a", 10);
        AdvanceAll(scheduler, 2);
        scheduler.PlanAdvance(4, 100);

        scheduler.AdvanceAborted("a");

        Assert.Equal((LiveRequestState.Queued, 2), (request.State, request.Progress));
        Assert.Equal([new LiveAdvance("a", 2, 4, 10)], scheduler.PlanAdvance(4, 100));
    }

    [Fact]
    public void Pull_splits_the_earliest_blocked_request_at_its_progress()
    {
        var scheduler = NewScheduler();
        scheduler.Admit("a", 10);
        scheduler.Admit("b", 10);
        AdvanceAll(scheduler, 3);
        scheduler.Admit("fresh", 10);

        var pulled = scheduler.Pull(3);

        Assert.NotNull(pulled);
        Assert.Equal(("a", LiveRequestState.Split, (int?)3), (pulled.Id, pulled.State, pulled.SplitLayer));
        Assert.Equal("b", scheduler.Pull(3)!.Id);
        // "fresh" has run nothing: it is ready, not blocked, so LiveOld does not take it.
        Assert.Null(scheduler.Pull(3));
        Assert.Equal(2, scheduler.Split);
        Assert.Equal(1, scheduler.Queued);
    }

    [Fact]
    public void Pull_skips_requests_that_are_advancing_or_ready()
    {
        var scheduler = NewScheduler();
        scheduler.Admit("a", 10);
        scheduler.Admit("b", 10);
        AdvanceAll(scheduler, 2);
        scheduler.PlanAdvance(4, 10); // "a" is advancing; "b" is ready at 2 < 4.

        Assert.Null(scheduler.Pull(4));
        scheduler.Advanced("a");
        Assert.Equal("a", scheduler.Pull(4)!.Id);
    }

    [Fact]
    public void Pull_respects_the_limit_and_a_removal_frees_a_split_slot()
    {
        var scheduler = NewScheduler(limit: 2);
        foreach (var id in new[] { "a", "b", "c" }) scheduler.Admit(id, 10);
        AdvanceAll(scheduler, 1);

        Assert.Equal("a", scheduler.Pull(1)!.Id);
        Assert.Equal("b", scheduler.Pull(1)!.Id);
        Assert.Null(scheduler.Pull(1));
        Assert.Equal(LiveRequestState.Queued, scheduler.Find("c")!.State);

        Assert.True(scheduler.Remove("a"));
        Assert.Equal(1, scheduler.Split);
        Assert.Equal("c", scheduler.Pull(1)!.Id);
        Assert.Equal(2, scheduler.Split);
    }

    [Fact]
    public void A_moved_request_frees_its_split_slot_keeps_its_split_layer_and_moves_once()
    {
        var scheduler = NewScheduler(limit: 1);
        foreach (var id in new[] { "a", "b" }) scheduler.Admit(id, 10);
        AdvanceAll(scheduler, 1);
        Assert.Equal("a", scheduler.Pull(1)!.Id);
        Assert.Null(scheduler.Pull(1));

        scheduler.Moved("a");

        Assert.Equal((LiveRequestState.Moved, (int?)1, 0), (scheduler.Find("a")!.State, scheduler.Find("a")!.SplitLayer, scheduler.Split));
        Assert.Equal("b", scheduler.Pull(1)!.Id);
        Assert.Contains("is Moved, expected Split", Assert.Throws<InvalidOperationException>(() => scheduler.Moved("a")).Message);
        Assert.Contains("is Queued, expected Split", Assert.Throws<InvalidOperationException>(() =>
        {
            scheduler.Admit("c", 10);
            scheduler.Moved("c");
        }).Message);
        Assert.True(scheduler.Remove("a"));
        Assert.Equal(1, scheduler.Split);
    }

    [Fact]
    public void A_split_layer_never_changes_as_more_layers_land()
    {
        var scheduler = NewScheduler();
        scheduler.Admit("a", 10);
        AdvanceAll(scheduler, 2);
        var pulled = scheduler.Pull(2)!;

        Assert.Empty(AdvanceAll(scheduler, Layers));
        Assert.Equal((LiveRequestState.Split, 2, (int?)2), (pulled.State, pulled.Progress, pulled.SplitLayer));
    }

    [Fact]
    public void Remove_leaves_from_every_state_and_forgets_the_request()
    {
        var scheduler = NewScheduler();
        foreach (var id in new[] { "queued", "advancing", "split", "local" }) scheduler.Admit(id, 10);
        AdvanceAll(scheduler, 2);
        scheduler.Pull(2); // "queued" is the earliest blocked; it becomes the split one.
        Assert.Equal(LiveRequestState.Split, scheduler.Find("queued")!.State);
        scheduler.PlanAdvance(Layers, 20); // "advancing" and "split" advance
        scheduler.Advanced("split"); // local now
        Assert.Equal(LiveRequestState.Local, scheduler.Find("split")!.State);
        Assert.Equal((1, 1, 1, 4), (scheduler.Queued, scheduler.Split, scheduler.Local, scheduler.Count));

        foreach (var id in new[] { "queued", "advancing", "split", "local" }) Assert.True(scheduler.Remove(id));

        Assert.Equal((0, 0, 0, 0), (scheduler.Queued, scheduler.Split, scheduler.Local, scheduler.Count));
        Assert.False(scheduler.Remove("queued"));
        Assert.Null(scheduler.Find("queued"));
        Assert.Empty(scheduler.PlanAdvance(Layers, 100));
    }

    [Fact]
    public void Admit_refuses_a_duplicate_id_and_an_empty_prompt()
    {
        var scheduler = NewScheduler();
        scheduler.Admit("a", 10);
        Assert.Throws<ArgumentException>(() => scheduler.Admit("a", 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Admit("b", 0));
        Assert.Equal(1, scheduler.Count);
    }

    [Fact]
    public void Calls_in_the_wrong_state_are_refused_with_a_clear_message()
    {
        var scheduler = NewScheduler();
        scheduler.Admit("a", 10);

        var notAdvancing = Assert.Throws<InvalidOperationException>(() => scheduler.Advanced("a"));
        Assert.Contains("'a' is Queued, expected Advancing", notAdvancing.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => scheduler.AdvanceAborted("a"));
        var unknown = Assert.Throws<InvalidOperationException>(() => scheduler.Advanced("ghost"));
        Assert.Contains("'ghost' is not tracked", unknown.Message, StringComparison.Ordinal);

        scheduler.PlanAdvance(2, 100);
        scheduler.Advanced("a");
        Assert.Throws<InvalidOperationException>(() => scheduler.Advanced("a"));
    }

    [Fact]
    public void Loaded_layers_outside_the_model_or_going_back_are_refused()
    {
        var scheduler = NewScheduler();
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.PlanAdvance(Layers + 1, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Pull(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.PlanAdvance(1, 0));
        scheduler.ObserveLoad(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Pull(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZigZagScheduler(0, new ZigZagOptions(), TimeProvider.System));
    }
}
