using Microsoft.Extensions.DependencyInjection;
using Neena.Domain.Notifications;
using Neena.IntegrationTests.Infrastructure;
using Neena.Persistence.Notifications;
using Npgsql;

namespace Neena.IntegrationTests.Notifications;

/// <summary>The server without delivery workers, so the test alone claims the outbox.</summary>
public sealed class NoDeliveryFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:Enabled"] = "false",
        ["Notifications:Enabled"] = "false",
    };
}

/// <summary>Claims of the outbox are fair across organizations and safe across instances.</summary>
public sealed class NotificationClaimTests(NoDeliveryFactory factory) : IClassFixture<NoDeliveryFactory>
{
    private async Task<Guid> SubscriptionAsync(TestTenant tenant)
    {
        await using var db = factory.CreateDbContext(tenant.OrganizationId);
        var subscription = new NotificationSubscription { OrganizationId = tenant.OrganizationId, Url = "https://203.0.113.10/x", Events = [NotificationEventType.RunFailed], ProtectedSecret = "x" };
        db.NotificationSubscriptions.Add(subscription);
        await db.SaveChangesAsync();
        return subscription.Id;
    }

    [Fact]
    public async Task OneOrganizationsBacklog_DoesNotTakeEverySlot_AndTwoInstancesNeverClaimOneEntryTwice()
    {
        var dataSource = factory.Services.GetRequiredService<NpgsqlDataSource>();
        var (busy, quiet) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var busySubscription = await SubscriptionAsync(busy);
        for (var i = 0; i < 20; i++)
            await NotificationDeliveryLease.EnqueuePingAsync(dataSource, busy.OrganizationId, busySubscription, CancellationToken.None);
        // Queued last: with a plain oldest-first claim, the busy organization's backlog would come first.
        var quietPing = await NotificationDeliveryLease.EnqueuePingAsync(dataSource, quiet.OrganizationId, await SubscriptionAsync(quiet), CancellationToken.None);

        var a = new NotificationDeliveryLease(dataSource, "instance-a", TimeSpan.FromMinutes(1));
        var b = new NotificationDeliveryLease(dataSource, "instance-b", TimeSpan.FromMinutes(1));
        var (claimedA, _) = await a.ClaimAsync(max: 10, perOrganization: 3, CancellationToken.None);
        var (claimedB, _) = await b.ClaimAsync(max: 10, perOrganization: 3, CancellationToken.None);

        Assert.Contains(claimedA, c => c.Id == quietPing);
        Assert.Equal(3, claimedA.Count(c => c.OrganizationId == busy.OrganizationId));
        // The busy organization already has 3 in flight (on instance A): instance B takes none of its entries.
        Assert.Empty(claimedB);
        Assert.All(claimedA, c => Assert.Equal(1, c.Attempts));

        var busyClaim = claimedA.First(c => c.OrganizationId == busy.OrganizationId);
        Assert.True(await a.RecordAsync(busyClaim.Id, new NotificationAttemptResult(NotificationAttemptOutcome.Delivered, 200, null), CancellationToken.None));
        // Another instance cannot record an entry it does not hold.
        Assert.False(await b.RecordAsync(claimedA.Last(c => c.OrganizationId == busy.OrganizationId).Id, new NotificationAttemptResult(NotificationAttemptOutcome.Delivered, 200, null), CancellationToken.None));
        var (next, _) = await b.ClaimAsync(max: 10, perOrganization: 3, CancellationToken.None);
        Assert.Single(next);
        Assert.DoesNotContain(next, c => claimedA.Any(x => x.Id == c.Id));
    }
}
