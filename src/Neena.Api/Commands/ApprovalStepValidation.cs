using System.Globalization;
using System.Net.Mail;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.Domain.Flows;

namespace Neena.Api.Commands;

/// <summary>
/// The parameters of approval steps (issue 20), checked when a flow is saved (422 at the parameter): a <c>message</c> is
/// required (the person must be told what they approve); <c>timeout_seconds</c> is a whole number of seconds within 30
/// days; <c>approvers</c> is a list of e-mail addresses. Approvers are not required to be users yet: a flow may name a
/// colleague who joins the organization later, and only the organization's own callers can reach its task runs anyway
/// (another organization gets 404), so the e-mail is matched when the step is answered.
/// </summary>
internal static class ApprovalStepValidation
{
    public static IEnumerable<KeyValuePair<string, string>> Problems(IReadOnlyList<NewTaskOperation> operations, Func<NewTaskOperation, string?> methodOf)
    {
        for (var i = 0; i < operations.Count; i++)
        {
            if (methodOf(operations[i]) != ApprovalSteps.MethodName)
                continue;
            var parameters = operations[i].Parameters;
            var at = $"task_operations.{i}.parameters.";
            if (Problem(parameters?["message"], parameters?.ContainsKey("message") == true) is { } message)
                yield return new(at + "message", message);
            if (parameters?.ContainsKey("timeout_seconds") == true && parameters["timeout_seconds"] is { } timeout && TimeoutProblem(timeout) is { } timeoutProblem)
                yield return new(at + "timeout_seconds", timeoutProblem);
            if (parameters?["approvers"] is { } approvers)
            {
                foreach (var (path, problem) in ApproverProblems(approvers))
                    yield return new(at + "approvers" + path, problem);
            }
        }
    }

    private static string? Problem(JsonNode? message, bool present) => message switch
    {
        null when !present => "field required",
        JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { } text =>
            string.IsNullOrWhiteSpace(text) ? "ensure this value is not empty"
            : text.Length > ApprovalSteps.MaxMessageLength ? string.Create(CultureInfo.InvariantCulture, $"ensure this value has at most {ApprovalSteps.MaxMessageLength} characters")
            : null,
        _ => "str type expected",
    };

    private static string? TimeoutProblem(JsonNode timeout) =>
        timeout is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var seconds)
        && seconds == Math.Floor(seconds) && seconds >= 1 && seconds <= ApprovalSteps.MaxTimeoutSeconds
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"must be a whole number of seconds from 1 to {ApprovalSteps.MaxTimeoutSeconds} (30 days)");

    private static IEnumerable<(string Path, string Problem)> ApproverProblems(JsonNode approvers)
    {
        if (approvers is not JsonArray list)
        {
            yield return ("", "must be a list of e-mail addresses");
            yield break;
        }
        if (list.Count > ApprovalSteps.MaxApprovers)
            yield return ("", string.Create(CultureInfo.InvariantCulture, $"ensure this value has at most {ApprovalSteps.MaxApprovers} items"));
        for (var j = 0; j < list.Count; j++)
        {
            if (list[j] is not JsonValue v || v.GetValueKind() != JsonValueKind.String || !IsEmail(v.GetValue<string>()))
                yield return (string.Create(CultureInfo.InvariantCulture, $".{j}"), "value is not a valid email address");
        }
    }

    private static bool IsEmail(string text) =>
        text.Length <= 320 && MailAddress.TryCreate(text, out var address) && address.Address == text && address.DisplayName.Length == 0;
}
