using BlitzScale.Native.Tests.Fuzzing;
using BlitzScale.Silo.Tests.Api;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Silo.Tests.Fuzzing;

/// <summary>
/// Every request body that once broke the API, kept in <c>Fuzzing/Corpus/&lt;route&gt;/</c> (the folder names the
/// route, see <see cref="HttpRoute"/>) and replayed as JSON: it must now answer a 2xx or the API's 4xx error object,
/// in bounded time.
/// </summary>
public sealed class HttpCorpusReplayTests(OpenApiSilo silo) : IClassFixture<OpenApiSilo>
{
    public static readonly string Folder = Path.Combine(RepositoryPaths.Root, "tests", "Silo.Tests", "Fuzzing", "Corpus");

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (string route in Directory.GetDirectories(Folder).Order(StringComparer.Ordinal))
        {
            foreach (string file in Directory.GetFiles(route).Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(route), Path.GetFileName(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void A_kept_body_answers_or_is_refused_clearly(string route, string name)
    {
        var c = new HttpCase(HttpRoute.ByFolder(route).Path, HttpCase.Json, File.ReadAllBytes(Path.Combine(Folder, route, name)));
        string? failure = Fuzz.Check(() => c.CheckAsync(silo.Http).GetAwaiter().GetResult(), _ => false);
        Assert.True(failure is null, failure);
    }

    [Fact]
    public void The_corpus_holds_the_kept_crashes() => Assert.NotEmpty(Inputs());
}
