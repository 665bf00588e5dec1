using System.Net;
using System.Net.Sockets;
using System.Text;
using BlitzScale.Native.Tests.Fuzzing;
using BlitzScale.Silo.Api;
using BlitzScale.Silo.Tests.Api;
using CsCheck;

namespace BlitzScale.Silo.Tests.Fuzzing;

/// <summary>
/// The API's POST routes (completions, chat, tokenize, detokenize) on generated hostile bodies, fixed seeds, against a
/// real silo serving the synthetic "tiny" model: every answer is a 2xx or the API's 4xx error object, within
/// <see cref="Fuzz.CaseBound"/>, and the silo still answers a valid request afterwards. A failure prints the case's
/// seed and request; its body goes to <c>Fuzzing/Corpus/&lt;route&gt;/</c> once fixed (<see cref="HttpCorpusReplayTests"/>).
/// </summary>
public sealed class HttpBodyFuzzTests(OpenApiSilo silo) : IClassFixture<OpenApiSilo>
{
    [Fact]
    public void Random_bytes_are_refused_as_json_errors() =>
        Assert.All(Run(HttpBodies.RandomBytes, 60, seed: 1401), status => Assert.InRange(status, 400, 499));

    [Fact]
    public void Valid_bodies_with_bytes_flipped_cut_or_repeated_answer_or_are_refused_clearly() => Run(HttpBodies.MutatedBytes, 120, seed: 1402);

    [Fact]
    public void Valid_bodies_with_values_of_other_types_answer_or_are_refused_clearly() => AnswersAndRefuses(Run(HttpBodies.MutatedJson, 120, seed: 1403));

    [Fact]
    public void Hostile_field_values_and_unknown_fields_answer_or_are_refused_clearly() => AnswersAndRefuses(Run(HttpBodies.HostileFields, 200, seed: 1404));

    [Fact]
    public void Chat_messages_of_every_wrong_shape_answer_or_are_refused_clearly() => AnswersAndRefuses(Run(HttpBodies.HostileMessages, 100, seed: 1405));

    [Fact]
    public void Huge_strings_answer_or_are_refused_clearly() => AnswersAndRefuses(Run(HttpBodies.HugeStrings, 12, seed: 1406));

    [Fact]
    public void A_body_over_the_size_limit_is_a_413_error_object()
    {
        var body = Encoding.UTF8.GetBytes($"{{\"model\": \"tiny\", \"prompt\": \"{new string('a', ApiJson.MaxBodyBytes)}\"}}");
        Assert.Equal(413, Check(new HttpCase(HttpRoute.Completions.Path, HttpCase.Json, body)));
    }

    [Theory]
    [InlineData(65)]
    [InlineData(100_000)]
    public void A_body_nested_deeper_than_json_allows_is_a_400(int depth)
    {
        var body = Encoding.ASCII.GetBytes(new string('[', depth) + new string(']', depth));
        Assert.Equal(400, Check(new HttpCase(HttpRoute.Chat.Path, HttpCase.Json, body)));
    }

    [Fact]
    public async Task A_body_malformed_on_the_wire_is_a_400_error_object()
    {
        // A chunked body whose second chunk's size is not hexadecimal: Kestrel refuses it as the handler reads.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, silo.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST {HttpRoute.Completions.Path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{{\"mod\r\nzz\r\n"));
        string answer = await new StreamReader(stream, Encoding.UTF8).ReadToEndAsync().WaitAsync(Fuzz.CaseBound);
        Assert.StartsWith("HTTP/1.1 400 ", answer);
        Assert.Contains("application/json", answer);
        Assert.Contains("\"message\":\"body: expected a whole request body, found ", answer);
        StillServes();
    }

    // The statuses of the cases, once each kept the property.
    private List<int> Run(Gen<HttpCase> gen, int count, ulong seed)
    {
        var statuses = new List<int>();
        Fuzz.Run(gen, count, seed, c => statuses.Add(Send(c)), _ => false, c => c.ToString());
        StillServes();
        return statuses;
    }

    // A generator that only ever got refusals would not be testing the routes past their first check.
    private static void AnswersAndRefuses(List<int> statuses)
    {
        Assert.Contains(statuses, s => s is >= 200 and < 300);
        Assert.Contains(statuses, s => s is >= 400 and < 500);
    }

    // The case's status, once it kept the property.
    private int Check(HttpCase c)
    {
        int status = 0;
        string? failure = Fuzz.Check(() => status = Send(c), _ => false);
        Assert.True(failure is null, failure);
        StillServes();
        return status;
    }

    // On a thread of its own (Fuzz.Check's), so blocking on the request bounds it with the case's time limit.
    private int Send(HttpCase c) => c.CheckAsync(silo.Http).GetAwaiter().GetResult();

    private void StillServes()
    {
        var (response, body) = silo.PostAsync(HttpRoute.Completions.Path, HttpRoute.Completions.ValidBody).GetAwaiter().GetResult();
        Assert.True(response.IsSuccessStatusCode, $"after the fuzzing, a valid request got {(int)response.StatusCode}: {body}");
        Assert.Equal("text_completion", (string?)body!["object"]);
    }
}
