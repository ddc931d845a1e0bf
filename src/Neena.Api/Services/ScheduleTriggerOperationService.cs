using Microsoft.EntityFrameworkCore;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.Triggers;
using Neena.Api.Errors;
using Neena.Domain.Common;
using Neena.Domain.Triggers;
using Neena.Persistence;
using Neena.Persistence.Triggers;

namespace Neena.Api.Services;

/// <summary>
/// An organization's schedules (§11). Every write notifies the schedulers (<see cref="ScheduleNotifications.Changed"/>), so
/// a new or changed schedule is planned at once instead of at the scheduler's next bounded wake-up.
/// </summary>
public sealed class ScheduleTriggerOperationService(NeenaDbContext db, TimeProvider time)
{
    public const string NotFound = "Schedule trigger operation not found";
    private const int MaxNameInMessage = 100;

    public async Task<ScheduleTriggerOperationResponse> CreateAsync(CreateScheduleTriggerOperationRequest request, CancellationToken cancellationToken)
    {
        var organizationId = db.Tenant.OrganizationId ?? throw ApiException.Forbidden(FlowRequestService.ForeignOrganization);
        var problems = new List<KeyValuePair<string, string>>();
        var schedule = ParseSchedule(request.Cron, request.TimeZone, problems);
        problems.AddRange(TemplateProblems(request.TemplateBody!));
        await CheckFlowAsync(request.Flow, problems, cancellationToken);
        if (problems.Count > 0)
            throw new RequestValidationException(problems);

        var now = time.GetUtcNow().UtcDateTime;
        var operation = new ScheduleTriggerOperation
        {
            OrganizationId = organizationId,
            Name = request.Name!,
            Cron = request.Cron!.Trim(),
            TimeZone = schedule!.Zone.Id,
            TemplateBody = request.TemplateBody!,
            FlowId = request.Flow,
            RequiresApproval = request.RequiresApproval ?? TriggerApprovalPolicy.RequiresApprovalByDefault(request.Flow),
            MissedFires = request.MissedFires ?? MissedFires.RunOnce,
        };
        operation.SetStatus(request.Status ?? TriggerOperationStatus.Inactive, now);
        db.ScheduleTriggerOperations.Add(operation);
        await SaveAndNotifyAsync(operation.Id, cancellationToken);
        return Response(operation, schedule, now);
    }

    public async Task<ScheduleTriggerOperationResponse> UpdateAsync(UpdateScheduleTriggerOperationRequest request, CancellationToken cancellationToken)
    {
        var operation = await db.ScheduleTriggerOperations.FirstOrDefaultAsync(o => o.Id == request.Id, cancellationToken)
            ?? throw ApiException.NotFound(NotFound);
        var problems = new List<KeyValuePair<string, string>>();
        var cron = request.Cron.Or(operation.Cron)!;
        var zone = request.TimeZone.Or(operation.TimeZone)!;
        var schedule = request.Cron.IsSet || request.TimeZone.IsSet ? ParseSchedule(cron, zone, problems) : null;
        if (request.TemplateBody is { IsSet: true, Value: { } template })
            problems.AddRange(TemplateProblems(template));
        if (request.Flow.IsSet)
            await CheckFlowAsync(request.Flow.Value, problems, cancellationToken);
        if (problems.Count > 0)
            throw new RequestValidationException(problems);

        var now = time.GetUtcNow().UtcDateTime;
        operation.Name = request.Name.Or(operation.Name)!;
        operation.Cron = cron.Trim();
        if (schedule is not null)
            operation.TimeZone = schedule.Zone.Id;
        operation.TemplateBody = request.TemplateBody.Or(operation.TemplateBody)!;
        operation.FlowId = request.Flow.Or(operation.FlowId);
        if (request.RequiresApproval.IsSet)
            operation.RequiresApproval = request.RequiresApproval.Value!.Value;
        else if (request.Flow.IsSet)
            operation.RequiresApproval = TriggerApprovalPolicy.RequiresApprovalByDefault(operation.FlowId);
        operation.MissedFires = request.MissedFires.Or(operation.MissedFires)!;
        if (request.Status.IsSet)
            operation.SetStatus(request.Status.Value!, now);
        // A new expression starts afresh: the slots of the old one were not "missed" by the new one.
        if (schedule is not null && operation.Status == TriggerOperationStatus.Active)
            operation.ActiveSince = now;
        await SaveAndNotifyAsync(operation.Id, cancellationToken);
        return Response(operation, schedule ?? Stored(operation), now);
    }

    public async Task<ScheduleTriggerOperationResponse> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        var operation = await db.ScheduleTriggerOperations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, cancellationToken)
            ?? throw ApiException.NotFound(NotFound);
        return Response(operation, Stored(operation), time.GetUtcNow().UtcDateTime);
    }

    public async Task<IReadOnlyList<ScheduleTriggerOperationResponse>> ListAsync(PageQuery page, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var operations = await db.ScheduleTriggerOperations.AsNoTracking().NewestFirst(page).ToListAsync(cancellationToken);
        return operations.Select(o => Response(o, Stored(o), now)).ToList();
    }

    /// <summary>Soft-deletes the schedule (it stops firing; its trigger runs stay readable) and returns it with <c>deleted_at</c> set.</summary>
    public async Task<ScheduleTriggerOperationResponse> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        var operation = await db.ScheduleTriggerOperations.FirstOrDefaultAsync(o => o.Id == id, cancellationToken)
            ?? throw ApiException.NotFound(NotFound);
        var now = time.GetUtcNow().UtcDateTime;
        operation.DeletedAt = now;
        await SaveAndNotifyAsync(operation.Id, cancellationToken);
        return Response(operation, Stored(operation), now);
    }

    private async Task SaveAndNotifyAsync(Guid id, CancellationToken cancellationToken)
    {
        // One transaction: the NOTIFY is delivered at commit, when the schedulers can read the change.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({ScheduleNotifications.Changed}, {id.ToString("D")})", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static CronSchedule? ParseSchedule(string? cron, string? timeZone, List<KeyValuePair<string, string>> problems)
    {
        try
        {
            return CronSchedule.Parse(cron, timeZone, "body.cron", "body.time_zone");
        }
        catch (DomainValidationException e)
        {
            problems.AddRange(e.Errors);
            return null;
        }
    }

    /// <summary>The stored expression, which was valid when it was stored.</summary>
    private static CronSchedule? Stored(ScheduleTriggerOperation operation)
    {
        try
        {
            return CronSchedule.Parse(operation.Cron, operation.TimeZone);
        }
        catch (DomainValidationException)
        {
            // A zone the host no longer knows: shown without next fire times rather than failing the read.
            return null;
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> TemplateProblems(string template)
    {
        foreach (var name in TriggerTemplate.Placeholders(template).Where(n => !ScheduleFire.Fields.Contains(n, StringComparer.Ordinal)))
        {
            var shown = name.Length > MaxNameInMessage ? name[..MaxNameInMessage] + "…" : name;
            yield return new("body.template_body", $"unknown placeholder '{shown}'; a schedule's template takes: {string.Join(", ", ScheduleFire.Fields)}");
        }
    }

    private async Task CheckFlowAsync(Guid? flowId, List<KeyValuePair<string, string>> problems, CancellationToken cancellationToken)
    {
        // The tenant filter makes another organization's flow indistinguishable from a missing one.
        if (flowId is { } id && !await db.Flows.AnyAsync(f => f.Id == id, cancellationToken))
            problems.Add(new("body.flow", FlowRequestService.FlowNotFound));
    }

    private static ScheduleTriggerOperationResponse Response(ScheduleTriggerOperation o, CronSchedule? schedule, DateTime now) => new(
        o.Id, o.Name, o.Cron, o.TimeZone, o.TemplateBody, o.FlowId, o.RequiresApproval, o.Status, o.MissedFires,
        schedule?.NextFireTimes(now) ?? [], o.LastFireTime is { } last ? UtcTime.AsUtc(last) : null, o.OrganizationId,
        o.CreatedDate, o.ModifiedDate, o.CreatedByEmail, o.ModifiedByEmail, o.DeletedAt);
}
