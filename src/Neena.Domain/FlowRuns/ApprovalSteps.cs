using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Neena.Domain.FlowRuns;

/// <summary>
/// Approval steps (issue 20, contract §10): the core task <c>Approval</c> asks a person and waits for an answer. Its
/// parameters (<c>message</c>, <c>timeout_seconds</c>, <c>approvers</c>) are read from the task run's copy of the
/// operation's parameters, both by the engine (timeout) and by the API (who may answer).
/// </summary>
public static class ApprovalSteps
{
    /// <summary>The task's method name in the catalogue (<c>task_definitions.python_method_name</c>).</summary>
    public const string MethodName = "Neena.Integrations.Core.CoreIntegration.Approval";

    /// <summary>Longest wait for an answer: 30 days. Longer belongs to a reminder, not to an open run.</summary>
    public const int MaxTimeoutSeconds = 2_592_000;

    public const int MaxMessageLength = 4000;

    public const int MaxApprovers = 50;

    public const int MaxCommentLength = 2000;

    /// <summary>The error of an approval step whose <c>timeout_seconds</c> passed without an answer.</summary>
    public const string TimedOut = "Approval timed out";

    /// <summary>The error of a rejected approval step.</summary>
    public static string RejectedBy(string? email) => "Rejected by " + (email ?? "a user");

    /// <summary>The wait before the step times out; null without <c>timeout_seconds</c> (validated when the flow was saved).</summary>
    public static TimeSpan? Timeout(JsonObject? parameters) =>
        parameters?["timeout_seconds"] is JsonValue value && value.GetValueKind() == JsonValueKind.Number
        && value.TryGetValue<double>(out var seconds) && seconds >= 1 && seconds <= MaxTimeoutSeconds
            ? TimeSpan.FromSeconds(seconds)
            : null;

    /// <summary>Who may answer: the listed e-mails, or anyone of the organization with <c>write</c> when none is listed.</summary>
    public static IReadOnlyList<string> Approvers(JsonObject? parameters) =>
        parameters?["approvers"] is JsonArray list
            ? [.. list.OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>())]
            : [];

    /// <summary>Whether <paramref name="email"/> may answer a step with these approvers (e-mails compare case-insensitively).</summary>
    public static bool MayAnswer(IReadOnlyList<string> approvers, string? email)
    {
        ArgumentNullException.ThrowIfNull(approvers);
        return approvers.Count == 0 || (email is not null && approvers.Any(a => string.Equals(a.Trim(), email.Trim(), StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>An approved step's result: <c>{approved: true, by, at, comment}</c>.</summary>
    public static JsonObject Approved(string? email, DateTime at, string? comment) => new()
    {
        ["approved"] = true,
        ["by"] = email,
        ["at"] = at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        ["comment"] = comment,
    };
}
