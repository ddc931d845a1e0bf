using System.Globalization;
using System.Text;
using Neena.Domain.FlowRuns;

namespace Neena.Api.RunEvents;

/// <summary>
/// An event's id is the state the client has been sent so far, so that <c>Last-Event-ID</c> resumes without the server
/// keeping any history: the run's status letter, then per task run (by index) its status letter and attempt, e.g.
/// <c>I.C1.I1.P0</c>. On resume, whatever differs from it now is sent again.
/// </summary>
internal static class RunEventId
{
    public const int MaxLength = 8000;

    public static char Letter(string status) => status switch
    {
        RunStatus.Pending => 'P',
        RunStatus.InProgress => 'I',
        RunStatus.Completed => 'C',
        RunStatus.Failed => 'F',
        RunStatus.Cancelled => 'X',
        TaskRunStatus.Skipped => 'S',
        TaskRunStatus.Waiting => 'W',
        _ => '?',
    };

    public static string Format(char run, IEnumerable<(int Index, char Status, int Attempt)> tasks)
    {
        var text = new StringBuilder().Append(run);
        foreach (var (_, status, attempt) in tasks.OrderBy(t => t.Index))
            text.Append('.').Append(status).Append(attempt.ToString(CultureInfo.InvariantCulture));
        return text.ToString();
    }

    /// <summary>Reads an id this server wrote; false for anything else.</summary>
    public static bool TryParse(string text, out char run, out List<(char Status, int Attempt)> tasks)
    {
        run = '\0';
        tasks = [];
        if (text.Length is 0 or > MaxLength)
            return false;
        var parts = text.Split('.');
        if (parts[0].Length != 1 || !IsLetter(parts[0][0]))
            return false;
        run = parts[0][0];
        foreach (var part in parts.Skip(1))
        {
            if (part.Length is < 2 or > 10 || !IsLetter(part[0]) || !part.AsSpan(1).ToString().All(char.IsAsciiDigit)
                || !int.TryParse(part.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var attempt))
                return false;
            tasks.Add((part[0], attempt));
        }
        return true;
    }

    // '-': not sent yet.
    private static bool IsLetter(char c) => c is 'P' or 'I' or 'C' or 'F' or 'X' or 'S' or 'W' or '-';
}
