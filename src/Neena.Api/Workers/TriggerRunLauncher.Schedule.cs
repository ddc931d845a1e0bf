using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.FlowRuns;
using Neena.Domain.Triggers;

namespace Neena.Api.Workers;

internal sealed partial class TriggerRunLauncher
{
    /// <summary>
    /// What a trigger run launches, whichever kind of operation started it: the operation, its flow and approval policy, the
    /// run type, and how to make the flow request (deferred, so that a deleted operation fails before its fields are read).
    /// </summary>
    private sealed record Launch(
        Guid OrganizationId,
        Guid OperationId,
        string Name,
        string? CreatedByEmail,
        bool Deleted,
        Guid? FlowId,
        bool RequiresApproval,
        string RunType,
        Func<(string Instructions, JsonArray Metadata)> Request);

    /// <summary>A schedule's fire: its fields are the slot (ISO 8601 UTC) and the schedule's name (§11).</summary>
    private async Task<Launch> ScheduleLaunchAsync(Guid triggerRunId, Guid scheduleId, CancellationToken cancellationToken)
    {
        var work = await (
                from t in db.TriggerRuns.IgnoreQueryFilters().AsNoTracking()
                join o in db.ScheduleTriggerOperations.IgnoreQueryFilters().AsNoTracking() on t.ScheduleTriggerOperationId equals (Guid?)o.Id
                where t.Id == triggerRunId && o.Id == scheduleId
                select new { t.OrganizationId, t.FireTime, o.Name, o.TemplateBody, o.FlowId, o.RequiresApproval, o.CreatedByEmail, o.DeletedAt })
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw new TriggerRunFailedException("The trigger run no longer exists.", permanent: true);
        return new Launch(work.OrganizationId, scheduleId, work.Name, work.CreatedByEmail, work.DeletedAt is not null, work.FlowId, work.RequiresApproval, RunType.Schedule,
            () => Request(work.TemplateBody, ScheduleFire.Values(work.FireTime!.Value, work.Name)));
    }
}
