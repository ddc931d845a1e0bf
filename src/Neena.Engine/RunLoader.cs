using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Neena.Domain.Catalogue;
using Neena.Domain.FlowRuns;
using Neena.Engine.Preparation;
using Neena.Persistence;

namespace Neena.Engine;

/// <summary>What a worker needs to execute a claimed run, read once when it starts.</summary>
internal sealed record RunSnapshot(
    Guid Id,
    Guid OrganizationId,
    string Status,
    string FlowName,
    FlowRequestInfo Request,
    List<TaskRun> Tasks,
    IReadOnlyDictionary<Guid, TaskDefinition> Definitions,
    IReadOnlyList<DependencyInfo> Dependencies);

internal static class RunLoader
{
    // The engine acts for every organization, so the tenant filter is ignored. Soft deletion is ignored as well: a run
    // keeps executing with the request, flow and task definitions it was approved with, even if they are deleted later.
    private static readonly string[] RunFilters = [NeenaDbContext.TenantFilter];
    private static readonly string[] AllFilters = [NeenaDbContext.TenantFilter, NeenaDbContext.SoftDeleteFilter];

    public static async Task<RunSnapshot?> LoadAsync(IServiceScopeFactory scopes, Guid runId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await using var db = EngineDbContext.Create(scope.ServiceProvider);

        var run = await db.FlowRuns.IgnoreQueryFilters(RunFilters).AsNoTracking()
            .Where(r => r.Id == runId)
            .Select(r => new { r.Id, r.OrganizationId, r.Status, r.FlowId, r.FlowRequestId })
            .SingleOrDefaultAsync(cancellationToken);
        if (run is null)
            return null;

        var tasks = await db.TaskRuns.IgnoreQueryFilters(RunFilters).AsNoTracking()
            .Where(t => t.FlowRunId == runId)
            .OrderBy(t => t.SortedIndex).ThenBy(t => t.TaskOperationIndex)
            .ToListAsync(cancellationToken);

        var flowName = await db.Flows.IgnoreQueryFilters(AllFilters)
            .Where(f => f.Id == run.FlowId)
            .Select(f => f.Name)
            .SingleOrDefaultAsync(cancellationToken) ?? "";

        var request = await db.FlowRequests.IgnoreQueryFilters(AllFilters).AsNoTracking()
            .Where(r => r.Id == run.FlowRequestId)
            .Select(r => new { r.RequestInstructions, r.RequestName, r.RequestMetadata })
            .SingleOrDefaultAsync(cancellationToken);

        // The flow's dependencies with their instructions, for the model's prompt (the task runs hold only the indexes).
        var dependencies = await db.TaskDependencies.AsNoTracking()
            .Where(d => d.FlowId == run.FlowId)
            .OrderBy(d => d.SourceTaskOperation).ThenBy(d => d.TargetTaskOperation)
            .Select(d => new DependencyInfo(d.SourceTaskOperation, d.TargetTaskOperation, d.Instruction))
            .ToListAsync(cancellationToken);

        var definitionIds = tasks.Select(t => t.TaskDefinitionId).Distinct().ToList();
        var definitions = await db.TaskDefinitions.IgnoreQueryFilters().AsNoTracking()
            .Where(d => definitionIds.Contains(d.Id))
            .ToDictionaryAsync(d => d.Id, cancellationToken);

        return new RunSnapshot(
            run.Id,
            run.OrganizationId,
            run.Status,
            flowName,
            new FlowRequestInfo(request?.RequestInstructions ?? "", request?.RequestName, request?.RequestMetadata ?? new JsonArray()),
            tasks,
            definitions,
            dependencies);
    }
}
