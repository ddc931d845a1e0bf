using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Neena.Domain.Notifications;
using Neena.Domain.Organizations;

namespace Neena.Persistence.Configurations;

internal sealed class NotificationSubscriptionConfiguration : IEntityTypeConfiguration<NotificationSubscription>
{
    public void Configure(EntityTypeBuilder<NotificationSubscription> builder)
    {
        builder.ToTable("notification_subscriptions");
        builder.Property(e => e.Url).HasMaxLength(NotificationSubscription.MaxUrlLength);
        builder.Property(e => e.Description).HasMaxLength(NotificationSubscription.MaxDescriptionLength);
        builder.Property(e => e.Events).HasDefaultValueSql("'{}'::text[]");
        // Lists: an organization's live subscriptions, newest first.
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedDate, e.Id }).IsDescending(false, true, true).HasFilter("deleted_at IS NULL");
        // The outbox writes: an organization's subscriptions that want an event (few per organization; events checked per row).
        builder.HasIndex(e => e.OrganizationId).HasFilter("active AND deleted_at IS NULL").HasDatabaseName("ix_notification_subscriptions_listening");
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class NotificationOutboxEntryConfiguration : IEntityTypeConfiguration<NotificationOutboxEntry>
{
    /// <summary>Rows the delivery worker may claim (with a free lease): waiting for an attempt, or held by an instance whose lease may lapse.</summary>
    public const string Open = "status IN ('pending', 'delivering')";

    public void Configure(EntityTypeBuilder<NotificationOutboxEntry> builder)
    {
        builder.ToTable("notification_outbox");
        // The id is the delivery's webhook-id; rows are inserted by SQL in the state change's transaction, so the
        // database fills what the writer need not.
        builder.Property(e => e.Id).ValueGeneratedNever();
        builder.Property(e => e.EventType).HasMaxLength(50);
        builder.Property(e => e.Payload).HasJsonbNode();
        builder.Property(e => e.Status).HasMaxLength(20).HasDefaultValue(NotificationDeliveryStatus.Pending);
        builder.Property(e => e.LastError).HasMaxLength(NotificationOutboxEntry.MaxErrorLength);
        builder.Property(e => e.LeaseOwner).HasMaxLength(200);
        builder.Property(e => e.NextAttemptAt).HasDefaultValueSql("now()");
        builder.Property(e => e.CreatedDate).HasDefaultValueSql("now()");
        // The delivery worker's claim: open rows that are due, soonest first.
        builder.HasIndex(e => new { e.NextAttemptAt, e.CreatedDate }).HasFilter(Open).HasDatabaseName("ix_notification_outbox_claimable");
        // The deliveries log of one subscription, newest first.
        builder.HasIndex(e => new { e.SubscriptionId, e.CreatedDate, e.Id }).IsDescending(false, true, true);
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedDate, e.Id }).IsDescending(false, true, true);
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<NotificationSubscription>().WithMany().HasForeignKey(e => e.SubscriptionId).OnDelete(DeleteBehavior.Restrict);
    }
}
