using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Errors;
using Neena.Persistence;
using Neena.Persistence.FlowRuns;
using Neena.Persistence.Sql;

namespace Neena.Api.Services;

/// <summary>
/// The answers of the flow run reads (<c>GET /flow_runs/?id=</c>, the lists, the run event stream), built from what
/// <see cref="FlowRunQueries"/> returns for the context's tenant (none: nothing): stored JSON goes into the answer as the
/// bytes PostgreSQL holds (<see cref="StoredJson"/>), and the run's tokens, duration and failed task come from its rows.
/// </summary>
internal static class FlowRunReads
{
    /// <summary>One run with its task runs; null when the caller's organization has no such run.</summary>
    public static async Task<FlowRunResponse?> GetAsync(NeenaDbContext db, Guid id, CancellationToken cancellationToken) =>
        Tenant.Of(db.Tenant) is { } tenant && await new FlowRunQueries(db).GetAsync(tenant, id, cancellationToken) is { } record ? From(record) : null;

    /// <summary>A page of runs, newest first (then by id), with their task runs.</summary>
    public static async Task<IReadOnlyList<FlowRunResponse>> ListAsync(NeenaDbContext db, PageQuery page, FlowRunListFilter filter, CancellationToken cancellationToken)
    {
        if (Tenant.Of(db.Tenant) is not { } tenant)
            return [];
        var records = await new FlowRunQueries(db).ListAsync(tenant, filter, page.Skip, page.Limit, cancellationToken);
        return records.Select(From).ToList();
    }

    /// <summary>
    /// Writes what <see cref="GetAsync"/> answers, as its JSON, straight from the rows to the response
    /// (<see cref="FlowRunJsonWriter"/>); 404 before anything is written when the caller's organization has no such run.
    /// </summary>
    public static async Task WriteAsync(NeenaDbContext db, Guid id, HttpResponse response, JsonSerializerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var found = Tenant.Of(db.Tenant) is { } tenant && await new FlowRunQueries(db).ReadOneAsync(tenant, id, async (runs, tasks) =>
        {
            using var writer = Start(response, options);
            await writer.WriteOneAsync(runs[0], tasks, cancellationToken);
        }, cancellationToken);
        if (!found)
            throw ApiException.NotFound("Flow run not found");
    }

    /// <summary>Writes what <see cref="ListAsync"/> answers, as its JSON, straight from the rows to the response.</summary>
    public static async Task WriteListAsync(
        NeenaDbContext db, PageQuery page, FlowRunListFilter filter, HttpResponse response, JsonSerializerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(response);
        if (Tenant.Of(db.Tenant) is not { } tenant)
        {
            using var empty = Start(response, options);
            await empty.WriteListAsync([], null, cancellationToken);
            return;
        }
        await new FlowRunQueries(db).ReadPageAsync(tenant, filter, page.Skip, page.Limit, async (runs, tasks) =>
        {
            using var writer = Start(response, options);
            await writer.WriteListAsync(runs, tasks, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>The runs of one flow (<see cref="WriteListAsync"/>); 404 when the flow is not the caller's.</summary>
    public static async Task WriteListForFlowAsync(
        NeenaDbContext db, Guid flowId, PageQuery page, HttpResponse response, JsonSerializerOptions options, CancellationToken cancellationToken)
    {
        // A deleted flow's runs stay readable; another organization's flow is simply not found.
        if (!await db.Flows.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]).AnyAsync(f => f.Id == flowId, cancellationToken))
            throw ApiException.NotFound("Flow not found");
        await WriteListAsync(db, page, new FlowRunListFilter([], flowId), response, options, cancellationToken);
    }

    private static FlowRunJsonWriter Start(HttpResponse response, JsonSerializerOptions options)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        return new FlowRunJsonWriter(response.BodyWriter, options);
    }

    /// <summary>The answer of a run read as <see cref="FlowRunQueries"/> returns it.</summary>
    public static FlowRunResponse From(FlowRunRecord record)
    {
        var r = record.Run;
        var tasks = record.Tasks.Select(Task).ToList();
        var failed = Domain.FlowRuns.TaskRunConditions.FailedTaskOf(r.Status, record.Tasks, t => t.Status, t => t.ContinueOnFailure);
        return new FlowRunResponse(
            Flow: r.FlowId,
            FlowRequest: r.FlowRequestId,
            Status: r.Status,
            ApprovalStatus: r.ApprovalStatus,
            TriggeredTime: r.TriggeredTime,
            EndTime: r.EndTime,
            TriggeredBy: r.TriggeredBy,
            Id: r.Id,
            TaskRuns: tasks,
            StartTime: r.StartTime,
            CreatedDate: r.CreatedDate,
            ModifiedDate: r.ModifiedDate,
            TotalTokens: tasks.Sum(t => t.PromptTokens + t.CompletionTokens),
            DurationMs: r.EndTime is { } end ? Milliseconds(r.StartTime ?? r.CreatedDate, end) : null,
            FailedTask: failed is null ? null : new FailedTaskResponse(failed.TaskOperationIndex, failed.OperationName, failed.Error),
            Tags: r.Tags,
            RunType: r.RunType,
            RanByType: r.RanByType,
            RanById: r.RanById,
            CreatedByType: r.CreatedByType,
            CreatedById: r.CreatedById,
            RetryCount: r.RetryCount);
    }

    private static TaskRunResponse Task(TaskRunRow t) => new(
        Id: t.Id,
        FlowRun: t.FlowRunId,
        TaskOperationIndex: t.TaskOperationIndex,
        Status: t.Status,
        StartTime: t.StartTime,
        EndTime: t.EndTime,
        TaskPrepPrompt: StoredJsonObject.From(t.TaskPrepPrompt),
        TaskPrepAnswer: StoredJsonObject.From(t.TaskPrepAnswer),
        Result: StoredJson.From(t.Result),
        Error: t.Error,
        Attempt: t.Attempt,
        OperationName: t.OperationName,
        PromptTokens: t.PromptTokens,
        CompletionTokens: t.CompletionTokens,
        IntegrationCredential: t.IntegrationCredentialId,
        DurationMs: t.StartTime is { } start && t.EndTime is { } end ? Milliseconds(start, end) : null,
        Items: TaskRunItems.From(t.Items));

    private static long Milliseconds(DateTime start, DateTime end) => Math.Max(0, (long)Math.Round((end - start).TotalMilliseconds));
}
