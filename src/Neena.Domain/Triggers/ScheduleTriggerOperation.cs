using Neena.Domain.Common;

namespace Neena.Domain.Triggers;

/// <summary>
/// An organization's schedule: each slot of <see cref="Cron"/> in <see cref="TimeZone"/> becomes one trigger run (unique
/// per operation and fire time), processed like a webhook's into a flow request rendered from <see cref="TemplateBody"/>
/// and a run of <see cref="FlowId"/> (or of a flow generated per fire).
/// </summary>
public sealed class ScheduleTriggerOperation : ITenantOwned, IAudited, ISoftDeletable, IHasId
{
    public const int MaxNameLength = 200;
    public const int MaxTemplateLength = 10_000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public required string Name { get; set; }
    public required string Cron { get; set; }

    /// <summary>The IANA zone the cron expression's wall-clock times are read in.</summary>
    public string TimeZone { get; set; } = CronSchedule.DefaultTimeZone;

    public string TemplateBody { get; set; } = "";

    /// <summary>The flow every fire runs; null when a flow is generated from each fire's request.</summary>
    public Guid? FlowId { get; set; }

    /// <summary>Whether the runs it starts wait for approval (§11: by default, exactly when no fixed flow is set).</summary>
    public bool RequiresApproval { get; set; } = true;

    public string Status { get; set; } = TriggerOperationStatus.Inactive;
    public string MissedFires { get; set; } = Triggers.MissedFires.RunOnce;

    /// <summary>The slot of the newest trigger run this schedule started (UTC); null before the first.</summary>
    public DateTime? LastFireTime { get; set; }

    /// <summary>
    /// When the schedule last became active (UTC): slots before it are not "missed" (the schedule was switched off, not the
    /// server), so missed-fire handling only looks after the later of this and <see cref="LastFireTime"/>.
    /// </summary>
    public DateTime? ActiveSince { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
    public DateTime? DeletedAt { get; set; }

    /// <summary>The instant after which slots count for the scheduler; null while inactive.</summary>
    public DateTime? FireSince => Status != TriggerOperationStatus.Active || ActiveSince is null
        ? null
        : LastFireTime is { } last && last > ActiveSince.Value ? last : ActiveSince;

    /// <summary>Sets the status, starting the active period anew when the schedule is switched on.</summary>
    public void SetStatus(string status, DateTime now)
    {
        if (status == TriggerOperationStatus.Active && Status != TriggerOperationStatus.Active) ActiveSince = now;
        Status = status;
    }
}
