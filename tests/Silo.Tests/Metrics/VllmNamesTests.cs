namespace BlitzScale.Silo.Tests.Metrics;

/// <summary>The rename touches vLLM's families' names only: not other families, not label values, not help text.</summary>
public sealed class VllmNamesTests
{
    [Fact]
    public void Vllm_families_get_the_colon_and_nothing_else_changes()
    {
        const string page = """
            # TYPE vllm_prompt_tokens_total counter
            # HELP vllm_prompt_tokens_total Number of prefill tokens processed (vllm_ stays in help).
            vllm_prompt_tokens_total{model_name="vllm_like"} 12 1700000000000
            # UNIT vllm_e2e_request_latency_seconds seconds
            vllm_e2e_request_latency_seconds_bucket{model_name="m",le="0.3"} 1
            # TYPE blitzscale_instances gauge
            blitzscale_instances{model_name="vllm_x",state="serving"} 2
            # EOF
            """;

        string renamed = VllmNames.Rewrite(page);

        Assert.Equal("""
            # TYPE vllm:prompt_tokens_total counter
            # HELP vllm:prompt_tokens_total Number of prefill tokens processed (vllm_ stays in help).
            vllm:prompt_tokens_total{model_name="vllm_like"} 12 1700000000000
            # UNIT vllm:e2e_request_latency_seconds seconds
            vllm:e2e_request_latency_seconds_bucket{model_name="m",le="0.3"} 1
            # TYPE blitzscale_instances gauge
            blitzscale_instances{model_name="vllm_x",state="serving"} 2
            # EOF
            """, renamed);
    }
}
