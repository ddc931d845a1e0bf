using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.ApiKeys;
using Neena.Domain.Catalogue;
using Neena.Domain.Common;
using Neena.Domain.Credentials;
using Neena.Domain.FlowRequests;
using Neena.Domain.FlowRuns;
using Neena.Domain.Flows;
using Neena.Domain.Notifications;
using Neena.Domain.Organizations;
using Neena.Domain.Triggers;
using Neena.Domain.Users;

namespace Neena.Persistence;

public sealed class NeenaDbContext(DbContextOptions<NeenaDbContext> options, ITenantContext tenant) : DbContext(options), IDataProtectionKeyContext
{
    /// <summary>Name of the query filter that hides other organizations' rows; ignore it only where the caller is not a tenant (authentication, the engine).</summary>
    public const string TenantFilter = "tenant";

    /// <summary>Name of the query filter that hides soft-deleted rows.</summary>
    public const string SoftDeleteFilter = "soft_delete";

    // Read by the query filters on every query: EF parameterizes it per context instance.
    private Guid? CurrentOrganizationId => tenant.OrganizationId;

    public ITenantContext Tenant => tenant;

    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<User> Users => Set<User>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Integration> Integrations => Set<Integration>();
    public DbSet<TaskDefinition> TaskDefinitions => Set<TaskDefinition>();
    public DbSet<TaskDefinitionEmbedding> TaskDefinitionEmbeddings => Set<TaskDefinitionEmbedding>();
    public DbSet<FlowRequest> FlowRequests => Set<FlowRequest>();
    public DbSet<Flow> Flows => Set<Flow>();
    public DbSet<TaskOperation> TaskOperations => Set<TaskOperation>();
    public DbSet<TaskDependency> TaskDependencies => Set<TaskDependency>();
    public DbSet<FlowRun> FlowRuns => Set<FlowRun>();
    public DbSet<TaskRun> TaskRuns => Set<TaskRun>();
    public DbSet<TaskRunItem> TaskRunItems => Set<TaskRunItem>();
    public DbSet<FlowResult> FlowResults => Set<FlowResult>();
    public DbSet<IntegrationCredential> IntegrationCredentials => Set<IntegrationCredential>();
    public DbSet<WebhookTriggerDefinition> WebhookTriggerDefinitions => Set<WebhookTriggerDefinition>();
    public DbSet<WebhookTriggerOperation> WebhookTriggerOperations => Set<WebhookTriggerOperation>();
    public DbSet<TriggerRun> TriggerRuns => Set<TriggerRun>();
    public DbSet<ScheduleTriggerOperation> ScheduleTriggerOperations => Set<ScheduleTriggerOperation>();
    public DbSet<NotificationSubscription> NotificationSubscriptions => Set<NotificationSubscription>();
    public DbSet<NotificationOutboxEntry> NotificationOutbox => Set<NotificationOutboxEntry>();
    public DbSet<NotificationDeliveryAttempt> NotificationDeliveryAttempts => Set<NotificationDeliveryAttempt>();

    /// <summary>
    /// The Data Protection key ring, shared by every instance through the database, so that a secret one instance encrypts
    /// (an integration credential) every other instance can decrypt.
    /// </summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(NeenaDbContext).Assembly);

        foreach (var entityType in modelBuilder.Model.GetEntityTypes())
        {
            var clr = entityType.ClrType;
            if (typeof(ITenantOwned).IsAssignableFrom(clr))
            {
                GetType().GetMethod(nameof(ApplyTenantFilter), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
                    .MakeGenericMethod(clr).Invoke(this, [modelBuilder]);
            }
            if (typeof(ISoftDeletable).IsAssignableFrom(clr))
            {
                GetType().GetMethod(nameof(ApplySoftDeleteFilter), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                    .MakeGenericMethod(clr).Invoke(null, [modelBuilder]);
            }
        }
    }

    private void ApplyTenantFilter<T>(ModelBuilder modelBuilder) where T : class, ITenantOwned =>
        modelBuilder.Entity<T>().HasQueryFilter(TenantFilter, e => CurrentOrganizationId != null && e.OrganizationId == CurrentOrganizationId);

    private static void ApplySoftDeleteFilter<T>(ModelBuilder modelBuilder) where T : class, ISoftDeletable =>
        modelBuilder.Entity<T>().HasQueryFilter(SoftDeleteFilter, e => e.DeletedAt == null);
}
