using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.Flows;
using Neena.Api.Errors;
using Neena.Domain.Flows;
using Neena.Engine;
using Neena.Integrations;
using Neena.Persistence;
using Neena.Persistence.Authoring;
using Neena.Persistence.FlowRuns;

namespace Neena.Api.Services;

public sealed class FlowService(NeenaDbContext db, TimeProvider time, IntegrationCatalogue catalogue, IOptions<EngineOptions> engine)
{
    public async Task<FlowResponse> CreateAsync(FlowBody body, CancellationToken cancellationToken)
    {
        var (operations, dependencies) = await BuildGraphAsync(body, cancellationToken);
        var flow = new Flow
        {
            OrganizationId = db.Tenant.OrganizationId ?? throw ApiException.Forbidden("No organization"),
            Name = body.Name!,
            TaskOperations = operations,
            Dependencies = dependencies,
        };
        db.Flows.Add(flow);
        await db.SaveChangesAsync(cancellationToken);
        return FlowResponse.From(flow);
    }

    public async Task<FlowResponse> UpdateAsync(UpdateFlowRequest body, CancellationToken cancellationToken)
    {
        var (operations, dependencies) = await BuildGraphAsync(body, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Row lock: two concurrent replacements of one flow serialise instead of interleaving their deletes and inserts.
        var flow = await db.Flows.ForUpdate(body.Id!.Value)
            .Include(f => f.TaskOperations).Include(f => f.Dependencies)
            .AsSplitQuery()
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw ApiException.NotFound("Flow not found");
        db.TaskOperations.RemoveRange(flow.TaskOperations);
        db.TaskDependencies.RemoveRange(flow.Dependencies);
        await db.SaveChangesAsync(cancellationToken);
        flow.Name = body.Name!;
        // A replacement is a write of the flow even when its name stays, so its audit fields move.
        db.Entry(flow).Property(f => f.Name).IsModified = true;
        operations.ForEach(o => o.FlowId = flow.Id);
        dependencies.ForEach(d => d.FlowId = flow.Id);
        // Explicit Add: these rows carry client-side ids, which EF would otherwise take for existing rows to update.
        db.TaskOperations.AddRange(operations);
        db.TaskDependencies.AddRange(dependencies);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return FlowResponse.From(flow);
    }

    /// <summary>
    /// The graph, definition and binding rules of <see cref="CreateAsync"/> without storing anything: the problems in the
    /// 422's terms (<c>body.…</c> locations), none when the flow would be created. The planner checks drafts with it.
    /// </summary>
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> ValidateAsync(FlowBody body, CancellationToken cancellationToken)
    {
        try
        {
            await BuildGraphAsync(body, cancellationToken);
            return [];
        }
        catch (RequestValidationException e)
        {
            return e.Errors;
        }
    }

    public async Task<FlowResponse> GetAsync(Guid id, CancellationToken cancellationToken) =>
        FlowResponse.From(await WithGraph(db.Flows.AsNoTracking()).FirstOrDefaultAsync(f => f.Id == id, cancellationToken)
            ?? throw ApiException.NotFound("Flow not found"));

    public async Task<IReadOnlyList<FlowResponse>> ListAsync(PageQuery page, CancellationToken cancellationToken) =>
        (await WithGraph(db.Flows.AsNoTracking().NewestFirst(page)).ToListAsync(cancellationToken)).Select(FlowResponse.From).ToList();

    public async Task<FlowResponse> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Row lock first: run creation and approval hold FOR SHARE on the flow row until they commit, so once this lock
        // is ours every run they made is visible to the check below, and no new run can attach until the deletion commits.
        var flow = await WithGraph(db.Flows.ForUpdate(id)).FirstOrDefaultAsync(cancellationToken)
            ?? throw ApiException.NotFound("Flow not found");
        if (await db.FlowRuns.Where(r => r.FlowId == id).AnyAsync(RunLifecycle.IsOpen, cancellationToken))
            throw ApiException.Conflict("The flow has a run that is pending or in progress; cancel or finish it first.");
        flow.DeletedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return FlowResponse.From(flow);
    }

    private static IQueryable<Flow> WithGraph(IQueryable<Flow> flows) =>
        flows.Include(f => f.TaskOperations).Include(f => f.Dependencies).AsSplitQuery();

    /// <summary>Validates the DAG, the task definitions and the bindings; 422 with every problem found, or the rows to store.</summary>
    private async Task<(List<TaskOperation> Operations, List<TaskDependency> Dependencies)> BuildGraphAsync(FlowBody body, CancellationToken cancellationToken)
    {
        var operationBodies = body.TaskOperations!.Select(o => o!).ToList();
        var dependencyBodies = (body.Dependencies ?? []).Select(d => d!).ToList();
        var edges = dependencyBodies.Select(d => (d.SourceTaskOperation!.Value, d.TargetTaskOperation!.Value)).ToList();
        var problems = FlowGraph.Validate(operationBodies.Select(o => o.Index!.Value).ToList(), edges, out var sorted)
            .Select(p => new KeyValuePair<string, string>("body." + p.Location, p.Message))
            .ToList();

        var definitionIds = operationBodies.Select(o => o.TaskDefinition!.Value).Distinct().ToList();
        // Deleted definitions are hidden by the soft-delete filter, so they count as missing.
        var definitions = await db.TaskDefinitions.AsNoTracking()
            .Where(t => definitionIds.Contains(t.Id))
            .Select(t => new { t.Id, t.TaskName, t.Parameters, t.PythonMethodName, t.IntegrationId })
            .ToDictionaryAsync(t => t.Id, cancellationToken);
        var credentials = await NamedCredentialsAsync(operationBodies, cancellationToken);

        // Ancestry means nothing in a graph that is not a DAG; bindings are checked only once the graph is sound.
        var graphIsSound = problems.Count == 0;
        var mismatches = new List<(int Operation, string CredentialIntegration, string TaskName, Guid TaskIntegrationId)>();
        for (var i = 0; i < operationBodies.Count; i++)
        {
            var operation = operationBodies[i];
            if (!definitions.TryGetValue(operation.TaskDefinition!.Value, out var definition))
            {
                problems.Add(new($"body.task_operations.{i}.task_definition", "task definition not found"));
                continue;
            }
            if (operation.IntegrationCredential is { } credentialId)
            {
                // Another organization's credential and a deleted one are hidden by the filters: all three read "not found".
                if (!credentials.TryGetValue(credentialId, out var credential))
                    problems.Add(new($"body.task_operations.{i}.integration_credential", "integration credential not found"));
                else if (credential.IntegrationId != definition.IntegrationId)
                    mismatches.Add((i, credential.Integration, definition.TaskName, definition.IntegrationId));
            }
            if (operation.Parameters is null)
                continue;
            foreach (var (name, error) in TimeLimitErrors(definition.PythonMethodName, operation.Parameters))
                problems.Add(new($"body.task_operations.{i}.parameters.{name}", error));
            if (!graphIsSound)
                continue;
            var known = definition.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var ancestors = FlowGraph.Ancestors(operation.Index!.Value, edges);
            foreach (var (name, value) in operation.Parameters)
            {
                var location = $"body.task_operations.{i}.parameters.{name}";
                if (!known.Contains(name))
                {
                    problems.Add(new(location, $"unknown parameter '{name}' of task '{definition.TaskName}'"));
                    continue;
                }
                foreach (var error in BindingErrors(value, operation.Index!.Value, ancestors))
                    problems.Add(new(location, error));
            }
        }
        if (mismatches.Count > 0)
        {
            // Only on this error path: the names of the tasks' integrations, for a message that says what would fit.
            var integrationIds = mismatches.Select(m => m.TaskIntegrationId).Distinct().ToList();
            var names = await db.Integrations.IgnoreQueryFilters().AsNoTracking()
                .Where(x => integrationIds.Contains(x.Id))
                .ToDictionaryAsync(x => x.Id, x => x.ShortName, cancellationToken);
            problems.AddRange(mismatches.Select(m => new KeyValuePair<string, string>(
                $"body.task_operations.{m.Operation}.integration_credential",
                $"integration credential is for integration '{m.CredentialIntegration}', but task '{m.TaskName}' needs one for '{names.GetValueOrDefault(m.TaskIntegrationId, "?")}'")));
        }
        if (problems.Count > 0)
            throw new RequestValidationException(problems);

        var operations = operationBodies.Select(o => new TaskOperation
        {
            Name = o.Name!,
            TaskDefinitionId = o.TaskDefinition!.Value,
            Instruction = o.Instruction,
            X = o.X,
            Y = o.Y,
            Index = o.Index!.Value,
            SortedIndex = sorted[o.Index!.Value],
            Parameters = o.Parameters is null ? null : (JsonObject)o.Parameters.DeepClone(),
            IntegrationCredentialId = o.IntegrationCredential,
        }).ToList();
        var dependencies = dependencyBodies.Select(d => new TaskDependency
        {
            SourceTaskOperation = d.SourceTaskOperation!.Value,
            TargetTaskOperation = d.TargetTaskOperation!.Value,
            Instruction = d.Instruction,
        }).ToList();
        return (operations, dependencies);
    }

    /// <summary>
    /// The live credentials of the caller's organization among those the operations name, with their integration; no
    /// query when none is named (most flows leave it to the newest credential).
    /// </summary>
    private async Task<Dictionary<Guid, (Guid IntegrationId, string Integration)>> NamedCredentialsAsync(
        List<TaskOperationBody> operations, CancellationToken cancellationToken)
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

    /// <summary>Every string inside a binding value is a template; its task references must name ancestors.</summary>
    private static IEnumerable<string> BindingErrors(JsonNode? value, int operationIndex, IReadOnlySet<int> ancestors)
    {
        switch (value)
        {
            case JsonValue v when v.TryGetValue<string>(out var text):
                var parts = BindingTemplate.Parse(text, out var error);
                if (error is not null)
                    yield return error;
                foreach (var reference in parts.Select(p => p.Reference).OfType<BindingReference.TaskResult>())
                {
                    if (!ancestors.Contains(reference.TaskIndex))
                        yield return $"task {reference.TaskIndex} is not an ancestor of task operation {operationIndex}";
                }
                break;
            case JsonObject o:
                foreach (var child in o.SelectMany(p => BindingErrors(p.Value, operationIndex, ancestors)))
                    yield return child;
                break;
            case JsonArray a:
                foreach (var child in a.SelectMany(item => BindingErrors(item, operationIndex, ancestors)))
                    yield return child;
                break;
            default:
                break;
        }
    }
}
