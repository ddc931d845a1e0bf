using System.Net;
using System.Text.RegularExpressions;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Docs;

/// <summary>
/// Issue 22 item 2: docs/api.md covers every endpoint the server serves, and its Contents list every section, so a new
/// endpoint cannot ship undocumented (the curl examples themselves are run by <see cref="DocsExamplesTests"/>).
/// </summary>
public sealed partial class DocsCoverageTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    [Fact]
    public async Task EveryOperationOfTheServedDocument_IsInTheReference()
    {
        var response = await factory.CreateClient().GetAsync("/swagger/v1/swagger.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await response.ReadJsonAsync();
        var lines = (await File.ReadAllLinesAsync(DocsExamples.RepositoryFile("docs/api.md"))).Select(l => l.Replace("$NEENA", "", StringComparison.Ordinal)).ToList();

        var missing = new List<string>();
        var checkedOperations = 0;
        foreach (var (rawPath, item) in document["paths"]!.AsObject())
        {
            // Both surfaces are one set of endpoints: the reference names each once, by its path below /api/v1.
            var path = rawPath.StartsWith("/api/v1/", StringComparison.Ordinal) ? rawPath["/api/v1".Length..] : rawPath;
            path = path.TrimEnd('/');
            if (path.Length == 0)
                continue;
            var pattern = new Regex(PathParameter().Replace(Regex.Escape(path), "[^/?\\s`]+") + @"/?(?![A-Za-z0-9_/{])", RegexOptions.CultureInvariant);
            foreach (var method in item!.AsObject().Select(o => o.Key.ToUpperInvariant()))
            {
                checkedOperations++;
                // A GET is named by its path (curl's default method); any other method on the same line as the path.
                var found = lines.Any(l => pattern.IsMatch(l) && (method == "GET" || l.Contains(method, StringComparison.Ordinal)
                    || (method == "HEAD" && l.Contains("curl -I", StringComparison.Ordinal))));
                if (!found)
                    missing.Add($"{method} {rawPath}");
            }
        }

        Assert.True(checkedOperations > 100, $"only {checkedOperations} operations checked");
        Assert.True(missing.Count == 0, $"docs/api.md does not document: {string.Join(", ", missing.Distinct())}");
    }

    [Fact]
    public async Task Contents_ListEverySection()
    {
        var page = await File.ReadAllTextAsync(DocsExamples.RepositoryFile("docs/api.md"));
        var contentsStart = page.IndexOf("\nContents: ", StringComparison.Ordinal);
        Assert.True(contentsStart >= 0, "docs/api.md has no Contents");
        var contentsEnd = page.IndexOf("\n\n", contentsStart, StringComparison.Ordinal);
        var contents = page[contentsStart..contentsEnd];
        var anchors = ContentsLink().Matches(contents).Select(m => m.Groups[1].Value).ToHashSet();

        var sections = Heading().Matches(page).Select(m => m.Groups[1].Value.Trim()).ToList();
        var unlisted = sections.Where(h => !anchors.Contains(Anchor(h))).ToList();

        Assert.True(sections.Count > 20, $"only {sections.Count} sections found");
        Assert.True(unlisted.Count == 0, $"Contents leave out: {string.Join(", ", unlisted)}");
    }

    /// <summary>GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens.</summary>
    private static string Anchor(string heading) =>
        string.Concat(heading.ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')).Replace(' ', '-');

    [GeneratedRegex(@"\\\{[a-z_]+}")]
    private static partial Regex PathParameter();

    [GeneratedRegex(@"\]\(#([^)]+)\)")]
    private static partial Regex ContentsLink();

    [GeneratedRegex(@"^## (.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
