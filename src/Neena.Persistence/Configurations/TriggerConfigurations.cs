using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Neena.Domain.Credentials;
using Neena.Domain.FlowRequests;
using Neena.Domain.FlowRuns;
using Neena.Domain.Flows;
using Neena.Domain.Organizations;
using Neena.Domain.Triggers;

namespace Neena.Persistence.Configurations;

internal sealed class WebhookTriggerOperationConfiguration : IEntityTypeConfiguration<WebhookTriggerOperation>
{
    public void Configure(EntityTypeBuilder<WebhookTriggerOperation> builder)
    {
        builder.ToTable("webhook_trigger_operations");
        builder.Property(e => e.Name).HasMaxLength(WebhookTriggerOperation.MaxNameLength);
        builder.Property(e => e.TemplateBody).HasMaxLength(WebhookTriggerOperation.MaxTemplateLength);
        builder.Property(e => e.Status).HasMaxLength(20);
        // Lists: an organization's live operations, newest first.
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedDate, e.Id }).IsDescending(false, true, true).HasFilter("deleted_at IS NULL");
        builder.HasIndex(e => e.WebhookTriggerDefinitionId);
        builder.HasIndex(e => e.FlowId);
        builder.HasIndex(e => e.IntegrationCredentialId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne(e => e.WebhookTriggerDefinition).WithMany().HasForeignKey(e => e.WebhookTriggerDefinitionId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Flow>().WithMany().HasForeignKey(e => e.FlowId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<IntegrationCredential>().WithMany().HasForeignKey(e => e.IntegrationCredentialId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ScheduleTriggerOperationConfiguration : IEntityTypeConfiguration<ScheduleTriggerOperation>
{
    public void Configure(EntityTypeBuilder<ScheduleTriggerOperation> builder)
    {
        builder.ToTable("schedule_trigger_operations");
        builder.Property(e => e.Name).HasMaxLength(ScheduleTriggerOperation.MaxNameLength);
        builder.Property(e => e.Cron).HasMaxLength(CronSchedule.MaxCronLength);
        builder.Property(e => e.TimeZone).HasMaxLength(CronSchedule.MaxTimeZoneLength);
        builder.Property(e => e.TemplateBody).HasMaxLength(ScheduleTriggerOperation.MaxTemplateLength);
        builder.Property(e => e.Status).HasMaxLength(20);
        builder.Property(e => e.MissedFires).HasMaxLength(20);
        builder.Ignore(e => e.FireSince);
        // Lists: an organization's live operations, newest first.
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedDate, e.Id }).IsDescending(false, true, true).HasFilter("deleted_at IS NULL");
        // The scheduler reads every active schedule of every organization to find the next due slot.
        builder.HasIndex(e => e.Status).HasFilter("deleted_at IS NULL AND status = 'active'").HasDatabaseName("ix_schedule_trigger_operations_active");
        builder.HasIndex(e => e.FlowId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Flow>().WithMany().HasForeignKey(e => e.FlowId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class TriggerRunConfiguration : IEntityTypeConfiguration<TriggerRun>
{
    public void Configure(EntityTypeBuilder<TriggerRun> builder)
    {
        builder.ToTable("trigger_runs", t => t.HasCheckConstraint("ck_trigger_runs_one_operation",
            "(webhook_trigger_operation_id IS NULL) <> (schedule_trigger_operation_id IS NULL) AND (schedule_trigger_operation_id IS NULL) = (fire_time IS NULL)"));
        builder.Property(e => e.Status).HasMaxLength(20);
        builder.Property(e => e.Event).HasJsonbNode();
        builder.Property(e => e.DeliveryId).HasMaxLength(TriggerRun.MaxDeliveryIdLength);
        builder.Property(e => e.IntegrationEntityId).HasMaxLength(TriggerRun.MaxEntityIdLength);
        builder.Property(e => e.LeaseOwner).HasMaxLength(200);
        // A repeated delivery of one event to one operation is recognised by this index and stored once.
        builder.HasIndex(e => new { e.WebhookTriggerOperationId, e.DeliveryId }).IsUnique().HasFilter("delivery_id IS NOT NULL");
        // Lists, newest first, of the organization or of one operation.
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedDate, e.Id }).IsDescending(false, true, true);
        builder.HasIndex(e => new { e.WebhookTriggerOperationId, e.CreatedDate, e.Id }).IsDescending(false, true, true);
        builder.HasIndex(e => e.FlowRunId);
        // One trigger run per schedule and slot however many instances fire it: INSERT ... ON CONFLICT DO NOTHING on this key.
        builder.HasIndex(e => new { e.ScheduleTriggerOperationId, e.FireTime }).IsUnique();
        // The processor's claim query: deliveries not yet done whose lease is free or expired.
        builder.HasIndex(e => new { e.LeaseExpiresAt, e.CreatedDate }).HasFilter(Triggers.TriggerRunLease.Open).HasDatabaseName("ix_trigger_runs_claimable");
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<WebhookTriggerOperation>().WithMany().HasForeignKey(e => e.WebhookTriggerOperationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<ScheduleTriggerOperation>().WithMany().HasForeignKey(e => e.ScheduleTriggerOperationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<FlowRequest>().WithMany().HasForeignKey(e => e.FlowRequestId).OnDelete(DeleteBehavior.Restrict);
        // Retention (a later issue) deletes old runs; the delivery's record outlives them.
        builder.HasOne<FlowRun>().WithMany().HasForeignKey(e => e.FlowRunId).OnDelete(DeleteBehavior.SetNull);
    }
}
