using BlitzScale.Cli.Replay;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Replay;

/// <summary>The three trace formats, their detection, and errors that name file, line, column, expected and found.</summary>
public sealed class TraceReaderTests
{
    private static Trace Read(string text, TraceFormat? format = null) => TraceReader.Read(new StringReader(text), "t.csv", format);

    [Fact]
    public void An_azure_trace_is_detected_and_its_wall_clock_times_become_seconds_from_the_first_request()
    {
        var trace = Read("""
            TIMESTAMP,ContextTokens,GeneratedTokens
            2023-11-16 18:17:03.9799600,4808,10
            2023-11-16 18:17:04.0319600,3180,8
            2023-11-16 18:17:05,12,1
            """);

        Assert.Equal(TraceFormat.Azure, trace.Format);
        Assert.Equal([0, 0.052, 1.02004], trace.Requests.Select(r => Math.Round(r.AtSeconds, 7)));
        Assert.Equal([4808, 3180, 12], trace.Requests.Select(r => r.InputTokens));
        Assert.Equal([10, 8, 1], trace.Requests.Select(r => r.OutputTokens));
        Assert.Equal([2, 3, 4], trace.Requests.Select(r => r.Line));
    }

    [Fact]
    public void A_burstgpt_trace_skips_and_counts_the_zero_token_rows_it_logs_as_failed()
    {
        var trace = Read("""
            Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type
            5,ChatGPT,472,18,490,Conversation log
            45,ChatGPT,1087,230,1317,Conversation log
            1106,ChatGPT,0,0,0,Conversation log
            1200.5,GPT-4,20,3,23,API log
            """);

        Assert.Equal(TraceFormat.BurstGpt, trace.Format);
        Assert.Equal(1, trace.SkippedFailed);
        Assert.Equal([0, 40, 1195.5], trace.Requests.Select(r => r.AtSeconds));
        Assert.Equal([472, 1087, 20], trace.Requests.Select(r => r.InputTokens));
        Assert.Equal([18, 230, 3], trace.Requests.Select(r => r.OutputTokens));
    }

    [Fact]
    public void A_mooncake_trace_is_json_lines_in_milliseconds_sorted_by_arrival()
    {
        var trace = Read("""
            {"timestamp": 1500, "input_length": 100, "output_length": 6, "hash_ids": [0, 1]}
            {"timestamp": 500, "input_length": 40, "output_length": 4, "hash_ids": [2]}
            """);

        Assert.Equal(TraceFormat.Mooncake, trace.Format);
        Assert.Equal([0, 1.0], trace.Requests.Select(r => r.AtSeconds));
        Assert.Equal([2, 1], trace.Requests.Select(r => r.Line));
        Assert.Equal([40, 100], trace.Requests.Select(r => r.InputTokens));
    }

    [Fact]
    public void A_bad_cell_names_the_file_line_column_what_was_expected_and_what_was_found()
    {
        var e = Assert.Throws<TraceFileException>(() => Read("""
            TIMESTAMP,ContextTokens,GeneratedTokens
            2023-11-16 18:17:03.9799600,4808,10
            2023-11-16 18:17:04.0319600,lots,8
            """));

        Assert.Equal("t.csv:3: column ContextTokens: expected a whole number of tokens ≥ 0, found \"lots\"", e.Message);
    }

    [Fact]
    public void A_bad_timestamp_a_short_row_and_a_bad_json_field_are_errors_too()
    {
        Assert.Contains("t.csv:2: column TIMESTAMP: expected a time like", Assert.Throws<TraceFileException>(() => Read("TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,1,1")).Message);
        Assert.Contains("t.csv:2: column 2: expected 3 comma-separated columns", Assert.Throws<TraceFileException>(() => Read("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03")).Message);
        Assert.Equal("t.csv:2: column output_length: expected a field \"output_length\", found \"none\"",
            Assert.Throws<TraceFileException>(() => Read("{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1}\n{\"timestamp\": 1, \"input_length\": 1}")).Message);
    }

    [Fact]
    public void An_unknown_header_asks_for_a_format_and_a_given_format_must_match_the_header()
    {
        var unknown = Assert.Throws<TraceFileException>(() => Read("a,b,c\n1,2,3"));
        Assert.Contains("t.csv:1: column (header)", unknown.Message);
        Assert.Contains("or give --format", unknown.Message);

        var mismatch = Assert.Throws<TraceFileException>(() => Read("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03,1,1", TraceFormat.BurstGpt));
        Assert.StartsWith("t.csv:1: column Timestamp: expected a header with columns Timestamp, Request tokens, Response tokens", mismatch.Message);
        Assert.Throws<ArgumentException>(() => TraceFormats.Parse("csv"));
    }

    [SkippableTheory]
    [InlineData("azure2023", "AzureLLMInferenceTrace_code.csv", "azure", 8819, 0)]
    [InlineData("azure2023", "AzureLLMInferenceTrace_conv.csv", "azure", 19366, 0)]
    [InlineData("burstgpt", "BurstGPT_1_first400rows.csv", "burstgpt", 383, 17)]
    [InlineData("mooncake", "synthetic_trace.jsonl", "mooncake", 3993, 0)]
    public void The_shared_traces_read_with_the_row_counts_of_their_readme(string folder, string file, string format, int requests, int skipped)
    {
        string? path = RepositoryPaths.Shared("traces", folder, file);
        Skip.If(path is null, RepositoryPaths.Missing("traces", folder, file));

        var trace = TraceReader.Read(path!);

        Assert.Equal(TraceFormats.Parse(format), trace.Format);
        Assert.Equal(requests, trace.Requests.Count);
        Assert.Equal(skipped, trace.SkippedFailed);
        Assert.Equal(0, trace.Requests[0].AtSeconds);
    }
}
