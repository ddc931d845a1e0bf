using System.Text;
using System.Text.RegularExpressions;

namespace Neena.IntegrationTests.Docs;

/// <summary>One fenced block of a Markdown page that holds a curl command, with the statuses its comments document.</summary>
/// <param name="Line">The 1-based line of the opening fence, to name the block in failures.</param>
/// <param name="Language">The fence's info string (<c>bash</c>).</param>
/// <param name="Expected">Each documented answer in order: its status, and whether it stands for a loop of one or more calls.</param>
public sealed record CurlBlock(int Line, string Language, string Text, IReadOnlyList<(int Status, bool Repeated)> Expected);

/// <summary>
/// Reads the curl examples of <c>docs/api.md</c>. The convention a reader sees: every curl command is followed, on its
/// last line, by a comment <c># → 200</c> naming the status the server answers; <c># → 200 ×N</c> marks a polling loop
/// whose every call answers that status.
/// </summary>
public static partial class DocsExamples
{
    [GeneratedRegex(@"#\s*→\s*(\d{3})(\s*×N)?")]
    private static partial Regex StatusComment();

    [GeneratedRegex(@"(?<![\w-])curl(?![\w-])")]
    private static partial Regex CurlWord();

    public static int CurlCount(string text) => CurlWord().Count(text);

    public static string RepositoryFile(string relativePath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relativePath);
            if (File.Exists(Path.Combine(dir.FullName, "Neena.sln")) && File.Exists(candidate))
                return candidate;
        }

        throw new FileNotFoundException($"{relativePath} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>Every fenced block whose text mentions curl, in page order.</summary>
    public static IReadOnlyList<CurlBlock> Parse(string markdown)
    {
        var blocks = new List<CurlBlock>();
        var lines = markdown.Replace("\r\n", "\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var open = lines[i].TrimStart();
            if (!open.StartsWith("```", StringComparison.Ordinal))
                continue;
            var language = open[3..].Trim();
            var start = i;
            var text = new StringBuilder();
            for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++)
                text.Append(lines[i]).Append('\n');
            var body = text.ToString();
            if (!CurlWord().IsMatch(body))
                continue;
            var expected = StatusComment().Matches(body).Select(m => (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Success)).ToList();
            blocks.Add(new CurlBlock(start + 1, language, body, expected));
        }

        return blocks;
    }

    /// <summary>
    /// What is wrong with one block's calls: each documented answer must match the next call's status (a repeated one
    /// every call of its loop), and every call must have been documented.
    /// </summary>
    public static IEnumerable<string> Compare(CurlBlock block, IReadOnlyList<int> actual)
    {
        var calls = string.Join(", ", actual);
        var at = 0;
        for (var e = 0; e < block.Expected.Count; e++)
        {
            var (status, repeated) = block.Expected[e];
            if (at >= actual.Count)
            {
                yield return $"block at line {block.Line}: documented {status}, but no call was made for it (calls: {calls})";
                yield break;
            }

            if (actual[at] != status)
            {
                yield return $"block at line {block.Line}: call {at + 1} answered {actual[at]}, documented {status} (calls: {calls})";
                yield break;
            }

            at++;
            // A loop takes every further call with its status, leaving one call for each answer documented after it.
            var stillDocumented = block.Expected.Count - e - 1;
            while (repeated && at < actual.Count - stillDocumented && actual[at] == status)
                at++;
        }

        if (at < actual.Count)
            yield return $"block at line {block.Line}: {actual.Count - at} call(s) without a documented status (calls: {calls})";
    }
}
