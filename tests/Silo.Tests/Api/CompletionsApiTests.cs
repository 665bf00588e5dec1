using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Silo.Tests.Api;

/// <summary>Completions and chat through the HTTP API of a real silo, compared with the grid's own generation.</summary>
public sealed class CompletionsApiTests(OpenApiSilo silo) : IClassFixture<OpenApiSilo>
{
    private const string Prompt = "Once upon a time";

    private static JsonObject Greedy(string model, int maxTokens, JsonNode prompt) => new()
    {
        ["model"] = model,
        ["prompt"] = prompt,
        ["max_tokens"] = maxTokens,
        ["temperature"] = 0,
        ["ignore_eos"] = true,
    };

    /// <summary>What the grid itself generates for the prompt, greedily: the text and the token counts.</summary>
    private async Task<(string Text, int PromptTokens, int CompletionTokens)> GridAsync(string prompt, int maxTokens, int[]? promptIds = null)
    {
        var text = new StringBuilder();
        int promptTokens = 0, completion = 0;
        await foreach (var update in silo.Grains.GenerateAsync(OpenApiSilo.TinyModel,
            new GenerateRequest { Prompt = prompt, PromptIds = promptIds, MaxTokens = maxTokens, StopAtEos = false }))
        {
            promptTokens = update.PromptIds?.Length ?? promptTokens;
            if (update.TokenId >= 0) completion++;
            text.Append(update.Text);
        }
        return (text.ToString(), promptTokens, completion);
    }

    [Fact]
    public async Task A_completion_is_the_grids_generation_in_openais_shape_with_usage()
    {
        var expected = await GridAsync(Prompt, 12);
        var (response, body) = await silo.PostAsync("/v1/completions", Greedy(OpenApiSilo.TinyModel, 12, Prompt));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("cmpl-", (string)body!["id"]!);
        Assert.Equal("text_completion", (string)body["object"]!);
        Assert.True((long)body["created"]! > 1_700_000_000);
        Assert.Equal(OpenApiSilo.TinyModel, (string)body["model"]!);
        var choice = Assert.Single(body["choices"]!.AsArray())!;
        Assert.Equal(0, (int)choice["index"]!);
        Assert.Equal(expected.Text, (string)choice["text"]!);
        Assert.Equal("length", (string)choice["finish_reason"]!);
        Assert.Equal(expected.PromptTokens, (int)body["usage"]!["prompt_tokens"]!);
        Assert.Equal(12, (int)body["usage"]!["completion_tokens"]!);
        Assert.Equal(expected.PromptTokens + 12, (int)body["usage"]!["total_tokens"]!);
    }

    [Fact]
    public async Task A_list_of_prompts_gives_one_choice_each_and_token_ids_work_as_a_prompt()
    {
        var first = await GridAsync(Prompt, 6);
        var second = await GridAsync("The cat", 6);
        var ids = await GridAsync("", 6, [1, 40, 41, 42]);
        var (response, body) = await silo.PostAsync("/v1/completions", Greedy(OpenApiSilo.TinyModel, 6, new JsonArray(Prompt, "The cat", new JsonArray(1, 40, 41, 42))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choices = body!["choices"]!.AsArray();
        Assert.Equal([0, 1, 2], choices.Select(c => (int)c!["index"]!));
        Assert.Equal([first.Text, second.Text, ids.Text], choices.Select(c => (string)c!["text"]!));
        Assert.Equal(first.PromptTokens + second.PromptTokens + 4, (int)body["usage"]!["prompt_tokens"]!);
        Assert.Equal(18, (int)body["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task A_streamed_completion_sends_the_same_text_in_chunks_then_usage_then_done()
    {
        var expected = await GridAsync(Prompt, 10);
        var request = Greedy(OpenApiSilo.TinyModel, 10, Prompt);
        request["stream"] = true;
        request["stream_options"] = new JsonObject { ["include_usage"] = true };
        using var response = await silo.Http.PostAsync("/v1/completions", new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = ApiSilo.Events(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events.SkipLast(1).Select(e => JsonNode.Parse(e)!).ToList();
        var usage = chunks[^1];
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(expected.PromptTokens, (int)usage["usage"]!["prompt_tokens"]!);
        Assert.Equal(10, (int)usage["usage"]!["completion_tokens"]!);
        var text = chunks.SkipLast(1).ToList();
        Assert.True(text.Count > 1, "the text came in one chunk");
        Assert.All(text, c => Assert.Equal("text_completion", (string)c["object"]!));
        Assert.Single(text.Select(c => (string)c["id"]!).Distinct());
        Assert.Equal(expected.Text, string.Concat(text.Select(c => (string)c["choices"]![0]!["text"]!)));
        Assert.Equal("length", (string)text[^1]["choices"]![0]!["finish_reason"]!);
        Assert.All(text.SkipLast(1), c => Assert.Null(c["choices"]![0]!["finish_reason"]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_stop_string_ends_the_text_before_it_with_finish_reason_stop(bool stream)
    {
        var whole = await GridAsync(Prompt, 24);
        // A stop string from the middle of what the model says: the answer is everything before its first occurrence.
        string stop = whole.Text.Substring(whole.Text.Length / 2, 2);
        string expected = whole.Text[..whole.Text.IndexOf(stop, StringComparison.Ordinal)];
        var request = Greedy(OpenApiSilo.TinyModel, 24, Prompt);
        request["stop"] = new JsonArray("\u0001never", stop);
        request["stream"] = stream;
        using var response = await silo.Http.PostAsync("/v1/completions", new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"));
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (stream)
        {
            var chunks = ApiSilo.Events(body).SkipLast(1).Select(e => JsonNode.Parse(e)!).ToList();
            Assert.Equal(expected, string.Concat(chunks.Select(c => (string)c["choices"]![0]!["text"]!)));
            Assert.Equal("stop", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
        }
        else
        {
            var choice = JsonNode.Parse(body)!["choices"]![0]!;
            Assert.Equal(expected, (string)choice["text"]!);
            Assert.Equal("stop", (string)choice["finish_reason"]!);
        }
    }

    [Fact]
    public async Task A_chat_answers_the_plain_rendering_of_its_messages_as_the_assistant()
    {
        // The synthetic model has no chat template: the plain fallback's text, completed.
        string rendered = "system: Be brief.\nuser: Hi\nassistant:";
        var expected = await GridAsync(rendered, 8);
        var request = new JsonObject
        {
            ["model"] = OpenApiSilo.TinyModel,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = "Be brief." },
                new JsonObject { ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "Hi" }) }),
            ["max_completion_tokens"] = 8,
            ["temperature"] = 0,
            ["ignore_eos"] = true,
            ["some_future_field"] = new JsonObject { ["ignored"] = true },
        };
        var (response, body) = await silo.PostAsync("/v1/chat/completions", request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("chatcmpl-", (string)body!["id"]!);
        Assert.Equal("chat.completion", (string)body["object"]!);
        var choice = body["choices"]![0]!;
        Assert.Equal("assistant", (string)choice["message"]!["role"]!);
        Assert.Equal(expected.Text, (string)choice["message"]!["content"]!);
        Assert.Equal("length", (string)choice["finish_reason"]!);
        Assert.Equal(expected.PromptTokens, (int)body["usage"]!["prompt_tokens"]!);

        request["stream"] = true;
        using var streamed = await silo.Http.PostAsync("/v1/chat/completions", new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"));
        var chunks = ApiSilo.Events(await streamed.Content.ReadAsStringAsync()).SkipLast(1).Select(e => JsonNode.Parse(e)!).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string)c["object"]!));
        Assert.Equal("assistant", (string)chunks[0]["choices"]![0]!["delta"]!["role"]!);
        Assert.Equal(expected.Text, string.Concat(chunks.Select(c => (string?)c["choices"]![0]!["delta"]!["content"] ?? "")));
        Assert.Equal("length", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
    }

    [Fact]
    public async Task Tokenize_and_detokenize_round_trip_and_count_the_prompt_as_the_grid_does()
    {
        var expected = await GridAsync(Prompt, 1);
        var (response, tokenized) = await silo.PostAsync("/tokenize", new JsonObject { ["model"] = OpenApiSilo.TinyModel, ["prompt"] = Prompt });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ids = tokenized!["tokens"]!.AsArray().Select(t => (int)t!).ToArray();
        Assert.Equal(expected.PromptTokens, ids.Length);
        Assert.Equal(ids.Length, (int)tokenized["count"]!);
        Assert.Equal(1024, (int)tokenized["max_model_len"]!);

        var (_, detokenized) = await silo.PostAsync("/detokenize", new JsonObject { ["model"] = OpenApiSilo.TinyModel, ["tokens"] = new JsonArray([.. ids.Select(i => (JsonNode)i)]) });
        Assert.Equal(Prompt, (string)detokenized!["prompt"]!);
    }

    [Fact]
    public async Task Models_lists_the_deployed_models_and_health_and_version_answer()
    {
        using var models = await silo.Http.GetAsync("/v1/models");
        var body = JsonNode.Parse(await models.Content.ReadAsStringAsync())!;
        Assert.Equal("list", (string)body["object"]!);
        Assert.Equal([OpenApiSilo.LongModel, OpenApiSilo.TinyModel], body["data"]!.AsArray().Select(m => (string)m!["id"]!).Order());
        Assert.All(body["data"]!.AsArray(), m => Assert.Equal("model", (string)m!["object"]!));

        using var health = await silo.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var version = await silo.Http.GetAsync("/version");
        Assert.False(string.IsNullOrEmpty((string?)JsonNode.Parse(await version.Content.ReadAsStringAsync())!["version"]));
    }
}
