using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Neena.Agent.LanguageModel;
using Neena.Domain.Common;

namespace Neena.Agent.Planning;

/// <summary>The model's flow was invalid twice; the reasons are those of the second answer.</summary>
public sealed class InvalidPlanException(IReadOnlyList<string> problems)
    : Exception("The language model's flow is invalid: " + string.Join("; ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Plans with the language model (§6): asks for a <c>flow</c> answer built from the candidates, checks it with the
/// rules of <c>POST /flows</c> (<see cref="IFlowDraftReader"/>), and when it is invalid asks once more with the problems listed.
/// </summary>
public sealed class ModelPlanner(LanguageModelClient model, IFlowDraftReader reader)
{
    internal const string SystemPrompt =
        "You plan flows for Neena, a service that automates requests. A flow is a directed acyclic graph of task operations, each an " +
        "instance of a task definition, run for one request. Choose only among the candidate task definitions listed (refer to them by " +
        "their task_definition id), use as few as serve the request, and give each operation a unique index (0, 1, 2, …). A dependency " +
        "makes its target operation run after its source. Bind an operation's inputs in `parameters` (keys are the task definition's " +
        "parameter names) wherever you can: JSON literals, or strings with references {{request.instructions}}, {{request.name}}, " +
        "{{request.metadata.KEY}} and {{tasks.INDEX.result.PATH}} (an output field of an earlier operation, which must be an ancestor " +
        "through dependencies). Leave out inputs you cannot bind: they are filled when the task runs. A flow may also decide, when the " +
        "request asks for it: a dependency's `condition` ({\"any\": [{\"all\": [{\"left\", \"op\", \"right\"}]}]}, an OR of ANDs; ops eq ne gt " +
        "gte lt lte contains not_contains starts_with ends_with exists not_exists is_empty is_not_empty) is taken only when it holds; an " +
        "operation whose dependencies are not taken is skipped unless its `join` is \"any\" and one is; `continue_on_failure: true` lets " +
        "the run go on after that operation fails, and {{tasks.INDEX.status}} (completed, failed, skipped) and {{tasks.INDEX.error}} tell " +
        "what happened; `for_each` (one binding to an array) runs an operation once per item, with {{item}}, {{item.PATH}} and " +
        "{{item_index}}. Example, if/else meeting at a join: dependencies 0→1 with condition {\"any\": [{\"all\": [{\"left\": " +
        "\"{{tasks.0.result.text}}\", \"op\": \"contains\", \"right\": \"urgent\"}]}]}, 0→2 with the same test using not_contains, 1→3 and " +
        "2→3, and operation 3 with \"join\": \"any\". Answer only with JSON of the form " +
        "{\"name\": \"...\", \"task_operations\": [{\"name\": \"...\", \"task_definition\": \"<id>\", \"instruction\": \"...\", \"index\": 0, " +
        "\"parameters\": {}}], \"dependencies\": [{\"source_task_operation\": 0, \"target_task_operation\": 1, \"instruction\": \"...\"}], " +
        "\"explanation\": \"why these tasks, in this order\"}.";

    private static readonly JsonSerializerOptions CompactJson = new()
    {
        MaxDepth = JsonDepth.MaxDocument,
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public async Task<PlannedFlow> PlanAsync(PlanningRequest request, IReadOnlyList<PlanCandidate> candidates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(candidates);
        List<ChatMessage> messages = [new(ChatRole.System, SystemPrompt), new(ChatRole.User, UserPrompt(request, candidates))];
        var usage = TokenUsage.None;
        IReadOnlyList<string> problems = [];
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var answer = await model.AskAsync(messages, AnswerSchema.Flow, cancellationToken);
            usage = usage.Add(answer.Usage);
            var (flow, explanation, found) = await CheckAsync(answer, cancellationToken);
            if (flow is not null)
                return new PlannedFlow(flow, explanation!, usage, PlannedFlow.ModelPlanner, model.ModelName);
            problems = found;
            messages.Add(new ChatMessage(ChatRole.Assistant, answer.Text));
            messages.Add(new ChatMessage(ChatRole.User, RetryPrompt(problems)));
        }
        throw new InvalidPlanException(problems);
    }

    private async Task<(FlowDraft? Flow, string? Explanation, IReadOnlyList<string> Problems)> CheckAsync(ModelAnswer answer, CancellationToken cancellationToken)
    {
        if (answer.Json is not JsonObject answerJson)
            return (null, null, [answer.ParseError ?? "the answer is not a JSON object"]);
        var (flow, problems) = await reader.ReadAsync(answerJson, cancellationToken);
        if (flow is null)
            return (null, null, problems);
        var explanation = answerJson["explanation"] is JsonValue v && v.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text)
            ? text.Trim()
            : "The language model gave no explanation.";
        return (flow, explanation, []);
    }

    /// <summary>The request, then the candidates as one line of JSON (ids, descriptions, typed and documented inputs and outputs).</summary>
    internal static string UserPrompt(PlanningRequest request, IReadOnlyList<PlanCandidate> candidates)
    {
        var text = new StringBuilder();
        text.AppendLine("## Request");
        text.AppendLine(CultureInfo.InvariantCulture, $"Instructions: {OneLine(request.Instructions)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Name: {request.Name ?? "(none)"}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Metadata: {request.Metadata.ToJsonString(CompactJson)}");
        text.AppendLine();
        text.AppendLine("## Candidate task definitions (JSON, most similar to the request first)");
        var list = new JsonArray(candidates.Select(c => (JsonNode)new JsonObject
        {
            ["task_definition"] = c.TaskDefinition.ToString(),
            ["task_name"] = c.TaskName,
            ["integration"] = c.Integration,
            ["description"] = c.Description,
            ["parameters"] = new JsonArray(c.Parameters.OrderBy(p => p.Position).Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Name,
                ["data_type"] = p.DataType,
                ["optional"] = p.Optional,
                ["doc_string"] = p.DocString,
            }).ToArray()),
            ["outputs"] = new JsonArray(c.Outputs.OrderBy(p => p.Position).Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Name,
                ["data_type"] = p.DataType,
                ["doc_string"] = p.DocString,
            }).ToArray()),
            ["output_is_list"] = c.OutputIsList,
        }).ToArray());
        text.AppendLine(list.ToJsonString(CompactJson));
        return text.ToString().TrimEnd();
    }

    internal static string RetryPrompt(IReadOnlyList<string> problems) =>
        "That flow is invalid:\n" + string.Join('\n', problems.Select(p => "- " + p)) +
        "\nAnswer again with a corrected flow, in the same JSON form.";

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
