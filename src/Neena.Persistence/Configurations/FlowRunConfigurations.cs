using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Neena.Domain.FlowRequests;
using Neena.Domain.FlowRuns;
using Neena.Domain.Flows;
using Neena.Domain.Organizations;
using Neena.Persistence.FlowRuns;

namespace Neena.Persistence.Configurations;

internal sealed class FlowRunConfiguration : IEntityTypeConfiguration<FlowRun>
{
    public void Configure(EntityTypeBuilder<FlowRun> builder)
    {
        builder.ToTable("flow_runs");
        builder.Property(e => e.Status).HasMaxLength(20);
        builder.Property(e => e.ApprovalStatus).HasMaxLength(20);
        builder.Property(e => e.TriggeredBy).HasMaxLength(320);
        builder.Property(e => e.LeaseOwner).HasMaxLength(200);
        // Lists (newest first), with the optional filters on status, flow and triggered time.
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedDate, e.Id }).IsDescending(false, true, true);
        builder.HasIndex(e => new { e.OrganizationId, e.Status, e.CreatedDate }).IsDescending(false, false, true);
        builder.HasIndex(e => new { e.FlowId, e.CreatedDate }).IsDescending(false, true);
        builder.HasIndex(e => new { e.OrganizationId, e.TriggeredTime });
        builder.HasIndex(e => e.FlowRequestId);
        builder.Property(e => e.RunType).HasMaxLength(20);
        builder.Property(e => e.CreatedByType).HasMaxLength(20);
        builder.Property(e => e.RanByType).HasMaxLength(20);
        builder.Property(e => e.StartTraceParent).HasMaxLength(64);
        builder.Property(e => e.Tags).HasDefaultValueSql("'{}'::text[]");
        // tag= : array containment, answered by a GIN index.
        builder.HasIndex(e => e.Tags).HasMethod("gin");
        // Analytics: one flow's runs newest first (triggered time), and the organization's runs by triggered time with the
        // columns the summary aggregates, so that it reads the index alone.
        builder.HasIndex(e => new { e.OrganizationId, e.FlowId, e.TriggeredTime, e.Id }).IsDescending(false, false, true, true)
            .HasDatabaseName("ix_flow_runs_analytics_flow");
        builder.HasIndex(e => new { e.OrganizationId, e.RanByUserId, e.TriggeredTime }).IsDescending(false, false, true)
            .HasDatabaseName("ix_flow_runs_analytics_user");
        // The engine's claim query: approved runs in progress whose lease is free or expired. The filter names the approval
        // as well as the status, so that only a statement that states both can use the index: the engine's writes that
        // find their run by id and state only its status (the lease fence, the run's end) used to be planned through it
        // whenever the statistics were older than the runs in progress, reading every run in progress for one row (issue 23).
        builder.HasIndex(e => new { e.LeaseExpiresAt, e.StartTime }).HasFilter(RunLease.Runnable).HasDatabaseName("ix_flow_runs_claimable");
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Flow>().WithMany().HasForeignKey(e => e.FlowId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<FlowRequest>().WithMany().HasForeignKey(e => e.FlowRequestId).OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(e => e.TaskRuns).WithOne().HasForeignKey(e => e.FlowRunId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TaskRunConfiguration : IEntityTypeConfiguration<TaskRun>
{
    public void Configure(EntityTypeBuilder<TaskRun> builder)
    {
        builder.ToTable("task_runs");
        builder.Property(e => e.Status).HasMaxLength(20);
        builder.Property(e => e.OperationName).HasMaxLength(200);
        builder.Property(e => e.Model).HasMaxLength(200);
        builder.Property(e => e.TaskPrepPrompt).HasJsonbNode();
        builder.Property(e => e.TaskPrepAnswer).HasJsonbNode();
        builder.Property(e => e.Parameters).HasJsonbNode();
        builder.Property(e => e.Result).HasJsonbNode();
        // The migration fills task runs created before issue 20 with the defaults ('all', false): they run as they always did.
        builder.Property(e => e.Join).HasMaxLength(8);
        builder.Property(e => e.Conditions).HasJsonbNode();
        builder.Property(e => e.ForEach).HasMaxLength(4000);
        builder.HasIndex(e => new { e.FlowRunId, e.TaskOperationIndex }).IsUnique();
        builder.HasIndex(e => e.OrganizationId);
    }
}

internal sealed class FlowResultConfiguration : IEntityTypeConfiguration<FlowResult>
{
    public void Configure(EntityTypeBuilder<FlowResult> builder)
    {
        builder.ToTable("flow_results");
        // Exactly one result per run, even if two engines race to finish it.
        builder.HasIndex(e => e.FlowRunId).IsUnique();
        builder.HasIndex(e => e.OrganizationId);
        builder.Property(e => e.IntegrationEntityId).HasMaxLength(255);
        // The newest result for a platform entity, and the list newest first with its filters.
        builder.HasIndex(e => new { e.OrganizationId, e.IntegrationEntityId, e.CreatedDate }).IsDescending(false, false, true).HasFilter("integration_entity_id IS NOT NULL");
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedDate, e.Id }).IsDescending(false, true, true);
        builder.HasIndex(e => e.TriggerRunId);
        builder.HasOne<FlowRun>().WithMany().HasForeignKey(e => e.FlowRunId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TaskRunItemConfiguration : IEntityTypeConfiguration<TaskRunItem>
{
    public void Configure(EntityTypeBuilder<TaskRunItem> builder)
    {
        builder.ToTable("task_run_items");
        // One row per item of a task run; the engine and the run reads read a task run's items in index order by this key.
        builder.HasKey(e => new { e.TaskRunId, e.ItemIndex });
        builder.Property(e => e.Status).HasMaxLength(20);
        builder.Property(e => e.Result).HasJsonbNode();
        builder.HasIndex(e => e.OrganizationId);
        builder.HasOne<TaskRun>().WithMany().HasForeignKey(e => e.TaskRunId).OnDelete(DeleteBehavior.Cascade);
    }
}
