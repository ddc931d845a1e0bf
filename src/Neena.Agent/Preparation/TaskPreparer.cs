using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Neena.Agent.LanguageModel;
using Neena.Domain.Catalogue;
using Neena.Domain.FlowRuns;

namespace Neena.Agent.Preparation;

/// <summary>The flow request as preparation sees it.</summary>
public sealed record FlowRequestInfo(string Instructions, string? Name, JsonArray Metadata);

/// <summary>The task definition as preparation sees it (its parameters drive what must be filled).</summary>
public sealed record TaskDefinitionInfo(
    string TaskName,
    string Description,
    IReadOnlyList<ParameterDefinition> Parameters,
    IReadOnlyList<ParameterDefinition>? Outputs = null,
    bool OutputIsList = false);

/// <summary>A dependency of the flow as the prompt shows it.</summary>
public sealed record DependencyInfo(int Source, int Target, string? Instruction);

/// <summary>Everything needed to prepare one task run: the request, the flow, the task and the run's other tasks (for results).</summary>
public sealed record PreparationRequest(
    FlowRequestInfo Request,
    string FlowName,
    TaskRun Task,
    TaskDefinitionInfo Definition,
    IReadOnlyCollection<TaskRun> RunTasks,
    IReadOnlyList<DependencyInfo>? Dependencies = null)
{
    /// <summary>The current item of a <c>for_each</c> task (issue 20): <c>{{item…}}</c> and <c>{{item_index}}</c> bind to it.</summary>
    public ForEachItem? Item { get; init; }
}

/// <summary>
/// The prepared input, what was recorded as asked (<see cref="Prompt"/>: with a model, the messages sent, null
/// when nothing had to be asked; without one, the prompt a model would have been given) and answered (<see cref="Answer"/>), and an
/// error when the task cannot run with what could be resolved (never worth retrying: the same data gives the same answer).
/// </summary>
/// <param name="Usage">Tokens the model used for this preparation (zero without a model).</param>
/// <param name="Model">The language model that answered, when one was asked.</param>
public sealed record PreparedTask(JsonObject Input, JsonObject? Prompt, JsonObject Answer, string? Error, TokenUsage Usage, string? Model = null);

/// <summary>
/// Fills a task's input parameters, in the contract's order: (1) the operation's explicit bindings
/// (<see cref="BindingEvaluator"/>), (2) with a model configured, the model for what bindings left open
/// (<see cref="PreparationPrompt"/>, checked by <see cref="ModelAnswerValidator"/>, asked again once with the problems),
/// (3) without one, name matching against the request metadata and ancestors' results (<see cref="NameMatcher"/>).
/// </summary>
public sealed class TaskPreparer(LanguageModelClient? languageModel = null)
{
    /// <summary>
    /// Whether preparation may ask the model (and so take a while). Without it preparation is local and quick, and the
    /// engine prepares before starting the task, so that starting and recording the preparation are one statement.
    /// </summary>
    public bool UsesModel => languageModel is { IsEnabled: true };

    /// <exception cref="LanguageModelUnavailableException">The model cannot answer now: the engine retries the task later.</exception>
    /// <exception cref="LanguageModelException">The model endpoint refused the request.</exception>
    public async Task<PreparedTask> PrepareAsync(PreparationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var task = request.Task;
        var parameters = request.Definition.Parameters.OrderBy(p => p.Position).ToList();
        var values = new Dictionary<string, Resolved>(StringComparer.Ordinal);
        var errors = new List<string>();
        var ancestors = CompletedAncestors(request);

        // (1) Explicit bindings. Keys are the definition's parameter names (the API checked them).
        foreach (var (name, binding) in task.Parameters ?? [])
        {
            var references = new List<string>();
            var value = BindingEvaluator.Resolve(binding, request, references, out var bindingError);
            if (bindingError is not null)
            {
                errors.Add($"parameter '{name}': {bindingError}");
                continue;
            }
            var explanation = references.Count == 0
                ? "binding literal"
                : "binding " + string.Join(", ", references.Distinct(StringComparer.Ordinal));
            values[name] = new Resolved(value, explanation);
        }

        var unresolved = parameters.Where(p => !values.ContainsKey(p.Name)).ToList();
        // With a model, the messages it is sent; without one, only the record of the prompt it would have been given.
        var usesModel = UsesModel;
        var messages = usesModel ? PreparationPrompt.Build(request, parameters, values, unresolved, ancestors) : null;
        var record = messages is null ? PreparationPrompt.BuildRecord(request, parameters, values, unresolved, ancestors) : null;
        var usage = TokenUsage.None;
        var asked = false;
        string? model = null;

        if (usesModel)
        {
            // (2) The model, for what bindings left open; nothing is asked when nothing is open or a binding is broken.
            if (unresolved.Count > 0 && errors.Count == 0)
            {
                var (answered, problems, spent, answeredBy) = await AskModelAsync(messages!, unresolved, cancellationToken);
                asked = true;
                usage = spent;
                model = answeredBy;
                if (problems.Count > 0)
                    errors.Add("the language model's answer was invalid twice: " + string.Join("; ", problems));
                foreach (var value in answered)
                {
                    var why = string.IsNullOrWhiteSpace(value.Explanation) ? "language model" : value.Explanation;
                    values[value.Name] = new Resolved(value.Value, why);
                }
            }
        }
        else
        {
            // (3) Name matching: request metadata first (the user's own data), then the results of completed ancestors,
            // the latest by sorted_index first. Optional parameters only take metadata: an earlier output field that
            // merely shares a name (an HTTP response's "headers", an echo's "data") must not silently replace a default.
            foreach (var parameter in unresolved)
            {
                var match = NameMatcher.Match(parameter.Name, request.Request.Metadata, parameter.Optional ? [] : ancestors);
                if (match is not null)
                    values[parameter.Name] = match;
            }
        }

        var answerItems = new JsonArray();
        var input = new JsonObject();
        var missing = new List<string>();
        foreach (var parameter in parameters)
        {
            if (values.TryGetValue(parameter.Name, out var resolved))
            {
                input[parameter.Name] = Own(resolved.Value);
                answerItems.Add(AnswerItem(parameter.Name, resolved.Value, resolved.Explanation));
            }
            else if (parameter.Optional)
            {
                // Left out of the input so the task's own default applies.
                answerItems.Add(AnswerItem(parameter.Name, null, "not resolved; the task's default applies"));
            }
            else
            {
                missing.Add(parameter.Name);
            }
        }
        // Bindings the definition does not list (it changed after the flow was saved): passed on, the task ignores or rejects them.
        foreach (var (name, resolved) in values.Where(v => parameters.All(p => p.Name != v.Key)))
        {
            input[name] = Own(resolved.Value);
            answerItems.Add(AnswerItem(name, resolved.Value, resolved.Explanation));
        }

        if (errors.Count == 0)
        {
            foreach (var name in missing)
            {
                errors.Add($"required parameter '{name}' could not be resolved: no binding, " +
                           (usesModel ? "and the language model gave no value" : "no language model configured, and no request metadata key or ancestor task result field has that name"));
            }
        }

        var error = errors.Count == 0
            ? null
            : $"Preparing task '{request.Definition.TaskName}' failed: {string.Join("; ", errors)}.";
        var prompt = messages is null ? Record(record!) : asked ? Record(messages.Select(m => (m.Role, PreparationRecord.Cap(m.Text)))) : null;
        return new PreparedTask(input, prompt, new JsonObject { ["parameters"] = answerItems }, error, usage, model);
    }

    /// <summary>
    /// Asks the model, and once more with the problems when its answer does not fit. <paramref name="messages"/> grows
    /// with the first answer and the re-ask, so that it ends as exactly what was sent.
    /// </summary>
    private async Task<(IReadOnlyList<ModelValue> Values, IReadOnlyList<string> Problems, TokenUsage Usage, string? Model)> AskModelAsync(
        List<ChatMessage> messages, IReadOnlyList<ParameterDefinition> unresolved, CancellationToken cancellationToken)
    {
        var usage = TokenUsage.None;
        string? model = null;
        IReadOnlyList<string> problems = [];
        for (var ask = 1; ask <= 2; ask++)
        {
            var answer = await languageModel!.AskAsync(messages, AnswerSchema.TaskParameters, cancellationToken);
            usage = usage.Add(answer.Usage);
            model = answer.Model ?? model;
            (var values, problems) = ModelAnswerValidator.Validate(answer, unresolved);
            if (problems.Count == 0)
                return (values, problems, usage, model);
            if (ask == 2)
                break;
            messages.Add(new ChatMessage(ChatRole.Assistant, answer.Text));
            messages.Add(PreparationPrompt.Retry(problems));
        }
        return ([], problems, usage, model);
    }

    /// <param name="messages">The messages, each content already capped (<see cref="PreparationRecord.Cap(string)"/>).</param>
    private static JsonObject Record(IEnumerable<(ChatRole Role, string Content)> messages) => new()
    {
        ["messages"] = new JsonArray(messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Content }).ToArray()),
    };

    /// <summary>
    /// The value itself for the input: every way of resolving a value makes a node of its own (a copy, or a new node),
    /// so a second copy for the input only doubled what a large value costs (issue 23: a megabyte of metadata per task).
    /// A node that already has a parent cannot be moved and is copied.
    /// </summary>
    private static JsonNode? Own(JsonNode? value) => value is { Parent: not null } ? value.DeepClone() : value;

    private static JsonObject AnswerItem(string name, JsonNode? value, string explanation) =>
        new() { ["name"] = name, ["value"] = PreparationRecord.Cap(value), ["explanation"] = explanation };

    /// <summary>
    /// The completed ancestors of the task, latest first by <c>sorted_index</c> (the flow's topological order). Only
    /// ancestors: a task that is not one may or may not have finished by now depending on which branch ran faster, so
    /// reading it would make the input depend on timing. Latest first: when several ancestors have a field of the wanted
    /// name, the one with the highest <c>sorted_index</c> wins (sorted indexes are unique within a flow, so this is a
    /// total order; the latest ancestor is always a direct parent).
    /// </summary>
    private static List<TaskRun> CompletedAncestors(PreparationRequest request)
    {
        var byIndex = request.RunTasks.ToDictionary(t => t.TaskOperationIndex);
        var ancestors = new HashSet<int>();
        var pending = new Stack<int>(request.Task.DependsOn);
        while (pending.Count > 0)
        {
            var index = pending.Pop();
            if (!ancestors.Add(index) || !byIndex.TryGetValue(index, out var ancestor))
                continue;
            foreach (var parent in ancestor.DependsOn)
                pending.Push(parent);
        }

        return request.RunTasks
            .Where(t => TaskRunConditions.Completed.Matches(t) && ancestors.Contains(t.TaskOperationIndex))
            .OrderByDescending(t => t.SortedIndex)
            .ThenByDescending(t => t.TaskOperationIndex)
            .ToList();
    }
}
