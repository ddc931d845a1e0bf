using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Neena.Domain.Common;
using Neena.Domain.Flows;
using Neena.Engine;
using Neena.Integrations;
using Neena.Persistence;

namespace Neena.Api.Commands;

/// <summary>
/// Creates a flow (<c>POST /flows</c>, a generated flow, a webhook's): the graph must be a DAG, every operation name a live task
/// definition and, when it names one, a live credential of the organization for that task's integration; bindings may
/// refer only to ancestors; literal seconds may not exceed the engine's time limit per task attempt.
/// </summary>
public sealed class CreateFlowCommand(NeenaDbContext db, IntegrationCatalogue catalogue, IOptions<EngineOptions> engine)
{
    /// <summary>
    /// Creates the flow for the acting organization. Joins the caller's transaction when one is open.
    /// </summary>
    /// <exception cref="DomainValidationException">The graph, a task definition, a credential or a binding is refused (every problem found).</exception>
    public async Task<Flow> ExecuteAsync(NewFlow input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (operations, dependencies) = await BuildGraphAsync(input, cancellationToken);
        var flow = new Flow
        {
            OrganizationId = db.Tenant.OrganizationId ?? throw new InvalidOperationException("A flow is created for the acting organization; none is acting."),
            Name = input.Name,
            CreatedByHuman = input.CreatedByHuman,
            TaskOperations = operations,
            Dependencies = dependencies,
        };
        db.Flows.Add(flow);
        await db.SaveChangesAsync(cancellationToken);
        return flow;
    }

    /// <summary>Validates the DAG, the task definitions and the bindings: the rows to store, or every problem found.</summary>
    /// <exception cref="DomainValidationException">The problems, by field of <paramref name="input"/>.</exception>
    public async Task<(List<TaskOperation> Operations, List<TaskDependency> Dependencies)> BuildGraphAsync(NewFlow input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var operationInputs = input.TaskOperations;
        var dependencyInputs = input.Dependencies;
        var edges = dependencyInputs.Select(d => (d.SourceTaskOperation, d.TargetTaskOperation)).ToList();
        var problems = FlowGraph.Validate(operationInputs.Select(o => o.Index).ToList(), edges, out var sorted)
            .Select(p => new KeyValuePair<string, string>(p.Location, p.Message))
            .ToList();

        var definitionIds = operationInputs.Select(o => o.TaskDefinition).Distinct().ToList();
        // Deleted definitions are hidden by the soft-delete filter, so they count as missing.
        var definitions = await db.TaskDefinitions.AsNoTracking()
            .Where(t => definitionIds.Contains(t.Id))
            .Select(t => new { t.Id, t.TaskName, t.Parameters, t.PythonMethodName, t.IntegrationId })
            .ToDictionaryAsync(t => t.Id, cancellationToken);
        var credentials = await NamedCredentialsAsync(operationInputs, cancellationToken);

        // Ancestry means nothing in a graph that is not a DAG; bindings are checked only once the graph is sound.
        var graphIsSound = problems.Count == 0;
        var mismatches = new List<(int Operation, string CredentialIntegration, string TaskName, Guid TaskIntegrationId)>();
        for (var i = 0; i < operationInputs.Count; i++)
        {
            var operation = operationInputs[i];
            if (!definitions.TryGetValue(operation.TaskDefinition, out var definition))
            {
                problems.Add(new($"task_operations.{i}.task_definition", "task definition not found"));
                continue;
            }
            if (operation.IntegrationCredential is { } credentialId)
            {
                // Another organization's credential and a deleted one are hidden by the filters: all three read "not found".
                if (!credentials.TryGetValue(credentialId, out var credential))
                    problems.Add(new($"task_operations.{i}.integration_credential", "integration credential not found"));
                else if (credential.IntegrationId != definition.IntegrationId)
                    mismatches.Add((i, credential.Integration, definition.TaskName, definition.IntegrationId));
            }
            if (operation.Parameters is null)
                continue;
            foreach (var (name, error) in TimeLimitErrors(definition.PythonMethodName, operation.Parameters))
                problems.Add(new($"task_operations.{i}.parameters.{name}", error));
            if (!graphIsSound)
                continue;
            var known = definition.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var ancestors = FlowGraph.Ancestors(operation.Index, edges);
            foreach (var (name, value) in operation.Parameters)
            {
                var location = $"task_operations.{i}.parameters.{name}";
                if (!known.Contains(name))
                {
                    problems.Add(new(location, $"unknown parameter '{name}' of task '{definition.TaskName}'"));
                    continue;
                }
                foreach (var error in BindingErrors(value, operation.Index, ancestors, allowItem: operation.ForEach is not null))
                    problems.Add(new(location, error));
            }
        }
        problems.AddRange(DecisionProblems(operationInputs, dependencyInputs, edges, graphIsSound)
            .Select(p => new KeyValuePair<string, string>(p.Location, p.Message)));
        problems.AddRange(ApprovalStepValidation.Problems(operationInputs, o => definitions.TryGetValue(o.TaskDefinition, out var d) ? d.PythonMethodName : null));
        if (mismatches.Count > 0)
        {
            // Only on this error path: the names of the tasks' integrations, for a message that says what would fit.
            var integrationIds = mismatches.Select(m => m.TaskIntegrationId).Distinct().ToList();
            var names = await db.Integrations.IgnoreQueryFilters().AsNoTracking()
                .Where(x => integrationIds.Contains(x.Id))
                .ToDictionaryAsync(x => x.Id, x => x.ShortName, cancellationToken);
            problems.AddRange(mismatches.Select(m => new KeyValuePair<string, string>(
                $"task_operations.{m.Operation}.integration_credential",
                $"integration credential is for integration '{m.CredentialIntegration}', but task '{m.TaskName}' needs one for '{names.GetValueOrDefault(m.TaskIntegrationId, "?")}'")));
        }
        if (problems.Count > 0)
            throw new DomainValidationException(problems);

        var operations = operationInputs.Select(o => new TaskOperation
        {
            Name = o.Name,
            TaskDefinitionId = o.TaskDefinition,
            Instruction = o.Instruction,
            X = o.X,
            Y = o.Y,
            Index = o.Index,
            SortedIndex = sorted[o.Index],
            Parameters = o.Parameters is null ? null : (JsonObject)o.Parameters.DeepClone(),
            IntegrationCredentialId = o.IntegrationCredential,
            Join = o.Join,
            ContinueOnFailure = o.ContinueOnFailure,
            ForEach = o.ForEach,
        }).ToList();
        var dependencies = dependencyInputs.Select(d => new TaskDependency
        {
            SourceTaskOperation = d.SourceTaskOperation,
            TargetTaskOperation = d.TargetTaskOperation,
            Instruction = d.Instruction,
            Condition = d.Condition is null ? null : (JsonObject)d.Condition.DeepClone(),
        }).ToList();
        return (operations, dependencies);
    }

    /// <summary>
    /// The live credentials of the caller's organization among those the operations name, with their integration; no
    /// query when none is named (most flows leave it to the newest credential).
    /// </summary>
    private async Task<Dictionary<Guid, (Guid IntegrationId, string Integration)>> NamedCredentialsAsync(
        IReadOnlyList<NewTaskOperation> operations, CancellationToken cancellationToken)
    {
        var ids = operations.Select(o => o.IntegrationCredential).OfType<Guid>().Distinct().ToList();
        if (ids.Count == 0)
            return [];
        // The tenant and soft-delete filters apply; the secret material is checked too, as the engine needs it.
        var rows = await db.IntegrationCredentials.AsNoTracking()
            .Where(c => ids.Contains(c.Id) && c.ProtectedFields != null)
            .Select(c => new { c.Id, c.IntegrationId, Integration = c.Integration!.ShortName })
            .ToListAsync(cancellationToken);
        return rows.ToDictionary(c => c.Id, c => (c.IntegrationId, c.Integration));
    }

    /// <summary>
    /// Literal seconds (a Wait's, an HTTP timeout) longer than the engine's time limit per task attempt could only end in a
    /// timeout at run time: refused now, where the author can fix them. Bound references are checked when the task runs.
    /// </summary>
    private IEnumerable<(string Name, string Error)> TimeLimitErrors(string methodName, JsonObject parameters)
    {
        var limit = engine.Value.TaskTimeoutSeconds;
        foreach (var name in catalogue.FindTask(methodName)?.SecondsWithinTimeLimit ?? [])
        {
            if (parameters[name] is JsonValue value && value.GetValueKind() == JsonValueKind.Number
                && value.TryGetValue<double>(out var seconds) && seconds > limit)
            {
                yield return (name, string.Create(CultureInfo.InvariantCulture,
                    $"must be at most {limit} seconds, the engine's time limit per task attempt (Engine:TaskTimeoutSeconds)"));
            }
        }
    }

    /// <summary>
    /// The fields of flows that decide (issue 20): joins, <c>for_each</c> bindings and dependency conditions, whose task
    /// references must name ancestors of the operation they decide for (only checked once the graph is a DAG).
    /// </summary>
    private static List<FlowProblem> DecisionProblems(
        IReadOnlyList<NewTaskOperation> operations, IReadOnlyList<NewTaskDependency> dependencies, List<(int, int)> edges, bool graphIsSound)
    {
        var problems = new List<FlowProblem>();
        for (var i = 0; i < operations.Count; i++)
        {
            var operation = operations[i];
            if (!TaskJoin.Values.Contains(operation.Join))
                problems.Add(new($"task_operations.{i}.join", $"unexpected value; permitted: {string.Join(", ", TaskJoin.Values.Select(v => $"'{v}'"))}"));
            if (operation.ForEach is null)
                continue;
            var parts = BindingTemplate.Parse(operation.ForEach, out var error);
            var location = $"task_operations.{i}.for_each";
            if (error is not null)
                problems.Add(new(location, error));
            else if (parts is not [{ Reference: { } reference }])
                problems.Add(new(location, "must be exactly one binding, such as \"{{tasks.0.result.items}}\", with no text around it"));
            else if (reference is BindingReference.TaskStatus or BindingReference.TaskError || reference.IsItem)
                problems.Add(new(location, "must be a binding to a JSON array: request.metadata.KEY or tasks.INDEX.result[.PATH]"));
            else if (graphIsSound && reference.ReferencedTask is { } index && !FlowGraph.Ancestors(operation.Index, edges).Contains(index))
                problems.Add(new(location, $"task {index} is not an ancestor of task operation {operation.Index}"));
        }
        for (var i = 0; i < dependencies.Count; i++)
        {
            if (dependencies[i].Condition is not { } condition)
                continue;
            var location = $"dependencies.{i}.condition";
            var parsed = DependencyCondition.Parse(condition, location, problems);
            if (parsed is null || !graphIsSound)
                continue;
            var target = dependencies[i].TargetTaskOperation;
            var ancestors = FlowGraph.Ancestors(target, edges);
            // {{item…}} in a condition is decided per item, so only on the incoming edges of a for_each operation.
            var forEachTarget = operations.Any(o => o.Index == target && o.ForEach is not null);
            for (var g = 0; g < parsed.Any.Count; g++)
            {
                for (var t = 0; t < parsed.Any[g].Count; t++)
                {
                    var test = parsed.Any[g][t];
                    foreach (var (side, value) in new[] { ("left", test.Left), ("right", test.Right) })
                    {
                        foreach (var message in BindingErrors(value, target, ancestors, conditionSide: true, allowItem: forEachTarget))
                            problems.Add(new($"{location}.any.{g}.all.{t}.{side}", message));
                    }
                }
            }
        }
        return problems;
    }

    /// <summary>Every string inside a binding value is a template; its task references must name ancestors.</summary>
    private static IEnumerable<string> BindingErrors(JsonNode? value, int operationIndex, IReadOnlySet<int> ancestors, bool conditionSide = false, bool allowItem = false)
    {
        switch (value)
        {
            case JsonValue v when v.TryGetValue<string>(out var text):
                var parts = BindingTemplate.Parse(text, out var error);
                if (error is not null)
                    yield return error;
                foreach (var reference in parts.Select(p => p.Reference).OfType<BindingReference>())
                {
                    if (reference.IsItem && !allowItem)
                        yield return conditionSide
                            ? "{{item}}, {{item.PATH}} and {{item_index}} are usable only in conditions on the incoming edges of a task operation with for_each"
                            : "{{item}}, {{item.PATH}} and {{item_index}} are usable only in a task operation with for_each";
                    else if (reference.ReferencedTask is { } index && !ancestors.Contains(index))
                        yield return $"task {index} is not an ancestor of task operation {operationIndex}";
                }
                break;
            case JsonObject o:
                foreach (var child in o.SelectMany(p => BindingErrors(p.Value, operationIndex, ancestors, conditionSide, allowItem)))
                    yield return child;
                break;
            case JsonArray a:
                foreach (var child in a.SelectMany(item => BindingErrors(item, operationIndex, ancestors, conditionSide, allowItem)))
                    yield return child;
                break;
            default:
                break;
        }
    }
}
