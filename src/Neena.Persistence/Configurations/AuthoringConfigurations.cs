using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Neena.Domain.Catalogue;
using Neena.Domain.Credentials;
using Neena.Domain.FlowRequests;
using Neena.Domain.Flows;
using Neena.Domain.Organizations;

namespace Neena.Persistence.Configurations;

internal sealed class IntegrationConfiguration : IEntityTypeConfiguration<Integration>
{
    public void Configure(EntityTypeBuilder<Integration> builder)
    {
        builder.ToTable("integrations");
        builder.Property(e => e.ClassName).HasMaxLength(200);
        builder.Property(e => e.Name).HasMaxLength(200);
        builder.Property(e => e.ShortName).HasMaxLength(100);
        builder.Property(e => e.AuthType).HasMaxLength(20);
        builder.Property(e => e.CredentialFields).HasJsonb();
        builder.HasIndex(e => e.ShortName).IsUnique();
        builder.HasIndex(e => new { e.CreatedDate, e.Id }).IsDescending(true, true);
    }
}

internal sealed class TaskDefinitionConfiguration : IEntityTypeConfiguration<TaskDefinition>
{
    public void Configure(EntityTypeBuilder<TaskDefinition> builder)
    {
        builder.ToTable("task_definitions");
        builder.Property(e => e.TaskName).HasMaxLength(200);
        builder.Property(e => e.PythonMethodName).HasMaxLength(500);
        builder.Property(e => e.InputType).HasMaxLength(200);
        builder.Property(e => e.OutputType).HasMaxLength(200);
        builder.Property(e => e.Parameters).HasJsonb();
        builder.Property(e => e.OutputParameters).HasJsonb();
        builder.HasIndex(e => e.PythonMethodName).IsUnique();
        builder.HasIndex(e => e.IntegrationId);
        builder.HasIndex(e => new { e.CreatedDate, e.Id }).IsDescending(true, true);
        builder.HasOne(e => e.Integration).WithMany().HasForeignKey(e => e.IntegrationId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class WebhookTriggerDefinitionConfiguration : IEntityTypeConfiguration<WebhookTriggerDefinition>
{
    public void Configure(EntityTypeBuilder<WebhookTriggerDefinition> builder)
    {
        builder.ToTable("webhook_trigger_definitions");
        builder.Property(e => e.TriggerName).HasMaxLength(200);
        builder.Property(e => e.PythonMethodName).HasMaxLength(500);
        builder.Property(e => e.EventType).HasMaxLength(100);
        builder.Property(e => e.EntityField).HasMaxLength(100);
        builder.Property(e => e.EventFields).HasJsonb();
        builder.HasIndex(e => e.PythonMethodName).IsUnique();
        builder.HasIndex(e => e.IntegrationId);
        builder.HasIndex(e => new { e.CreatedDate, e.Id }).IsDescending(true, true);
        builder.HasOne(e => e.Integration).WithMany().HasForeignKey(e => e.IntegrationId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class FlowRequestConfiguration : IEntityTypeConfiguration<FlowRequest>
{
    public void Configure(EntityTypeBuilder<FlowRequest> builder)
    {
        builder.ToTable("flow_requests");
        builder.Property(e => e.RequestInstructions).HasMaxLength(FlowRequest.MaxInstructionsLength);
        builder.Property(e => e.RequestName).HasMaxLength(FlowRequest.MaxNameLength);
        builder.Property(e => e.RequestMetadata).HasJsonbNode();
        // Lists: an organization's live rows, newest first.
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedDate, e.Id }).IsDescending(false, true, true).HasFilter("deleted_at IS NULL");
        builder.HasIndex(e => e.FlowId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Flow>().WithMany().HasForeignKey(e => e.FlowId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class FlowConfiguration : IEntityTypeConfiguration<Flow>
{
    public void Configure(EntityTypeBuilder<Flow> builder)
    {
        builder.ToTable("flows");
        builder.Property(e => e.Name).HasMaxLength(200);
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedDate, e.Id }).IsDescending(false, true, true).HasFilter("deleted_at IS NULL");
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(e => e.TaskOperations).WithOne().HasForeignKey(e => e.FlowId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(e => e.Dependencies).WithOne().HasForeignKey(e => e.FlowId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TaskOperationConfiguration : IEntityTypeConfiguration<TaskOperation>
{
    public void Configure(EntityTypeBuilder<TaskOperation> builder)
    {
        builder.ToTable("task_operations");
        builder.Property(e => e.Name).HasMaxLength(200);
        builder.Property(e => e.Instruction).HasMaxLength(4000);
        builder.Property(e => e.Parameters).HasJsonbNode();
        // The migration fills rows written before issue 20 with the defaults ('all', false).
        builder.Property(e => e.Join).HasMaxLength(8);
        builder.Property(e => e.ForEach).HasMaxLength(4000);
        builder.HasIndex(e => new { e.FlowId, e.Index }).IsUnique();
        builder.HasIndex(e => e.TaskDefinitionId);
        builder.HasOne<TaskDefinition>().WithMany().HasForeignKey(e => e.TaskDefinitionId).OnDelete(DeleteBehavior.Restrict);
        // Credentials are only ever soft-deleted, so the reference stays valid; the engine refuses a deleted one.
        builder.HasIndex(e => e.IntegrationCredentialId);
        builder.HasOne<IntegrationCredential>().WithMany().HasForeignKey(e => e.IntegrationCredentialId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class TaskDependencyConfiguration : IEntityTypeConfiguration<TaskDependency>
{
    public void Configure(EntityTypeBuilder<TaskDependency> builder)
    {
        builder.ToTable("task_dependencies");
        builder.Property(e => e.Instruction).HasMaxLength(TaskDependency.MaxInstructionLength);
        builder.Property(e => e.Condition).HasJsonbNode();
        builder.HasIndex(e => e.FlowId);
    }
}
