using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Neena.Domain.Notifications;
using Neena.Domain.Organizations;

namespace Neena.Persistence.Configurations;

internal sealed class NotificationDeliveryAttemptConfiguration : IEntityTypeConfiguration<NotificationDeliveryAttempt>
{
    public void Configure(EntityTypeBuilder<NotificationDeliveryAttempt> builder)
    {
        builder.ToTable("notification_delivery_attempts");
        // Written by SQL with the outbox entry's new state.
        builder.Property(e => e.Id).ValueGeneratedNever();
        builder.Property(e => e.EventType).HasMaxLength(50);
        builder.Property(e => e.Status).HasMaxLength(20);
        builder.Property(e => e.Error).HasMaxLength(NotificationOutboxEntry.MaxErrorLength);
        builder.Property(e => e.CreatedDate).HasDefaultValueSql("now()");
        // The deliveries log of one subscription, newest first.
        builder.HasIndex(e => new { e.SubscriptionId, e.CreatedDate, e.Id }).IsDescending(false, true, true);
        builder.HasIndex(e => e.OutboxId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<NotificationSubscription>().WithMany().HasForeignKey(e => e.SubscriptionId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<NotificationOutboxEntry>().WithMany().HasForeignKey(e => e.OutboxId).OnDelete(DeleteBehavior.Cascade);
    }
}
