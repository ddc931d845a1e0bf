using Microsoft.EntityFrameworkCore;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.Notifications;
using Neena.Api.Errors;
using Neena.Domain.Notifications;
using Neena.Integrations.Notifications;
using Neena.Persistence;
using Neena.Persistence.Notifications;
using Npgsql;

namespace Neena.Api.Services.Notifications;

/// <summary>
/// An organization's notification subscriptions (contract §11): the URL passes the HTTP task's address guard, the signing
/// secret is made here, shown once and kept encrypted (<see cref="NotificationSecretProtector"/>).
/// </summary>
public sealed class NotificationSubscriptionService(
    NeenaDbContext db,
    NotificationSecretProtector secrets,
    NotificationUrlGuard guard,
    NpgsqlDataSource dataSource,
    TimeProvider time)
{
    public const string NotFound = "Notification subscription not found";

    public async Task<CreatedNotificationSubscriptionResponse> CreateAsync(CreateNotificationSubscriptionRequest request, CancellationToken cancellationToken)
    {
        var organizationId = db.Tenant.OrganizationId ?? throw ApiException.Forbidden(FlowRequestService.ForeignOrganization);
        await CheckUrlAsync(request.Url!, cancellationToken);
        var secret = StandardWebhookSigner.NewSecret();
        var subscription = new NotificationSubscription
        {
            OrganizationId = organizationId,
            Url = request.Url!,
            Events = [.. request.Events!.Distinct(StringComparer.Ordinal)],
            Active = request.Active ?? true,
            Description = request.Description,
        };
        subscription.ProtectedSecret = secrets.Protect(organizationId, subscription.Id, secret);
        db.NotificationSubscriptions.Add(subscription);
        await db.SaveChangesAsync(cancellationToken);
        var s = NotificationSubscriptionResponse.From(subscription);
        return new(s.Id, s.Url, s.Events, s.Active, s.Description, s.CreatedDate, s.ModifiedDate, s.DeletedAt, secret);
    }

    public async Task<NotificationSubscriptionResponse> UpdateAsync(UpdateNotificationSubscriptionRequest request, CancellationToken cancellationToken)
    {
        var subscription = await db.NotificationSubscriptions.FirstOrDefaultAsync(s => s.Id == request.Id, cancellationToken)
            ?? throw ApiException.NotFound(NotFound);
        if (request.Url is { IsSet: true, Value: { } url })
            await CheckUrlAsync(url, cancellationToken);
        subscription.Url = request.Url.Or(subscription.Url)!;
        if (request.Events is { IsSet: true, Value: { } events })
            subscription.Events = [.. events.Distinct(StringComparer.Ordinal)];
        subscription.Active = request.Active.Or(subscription.Active) ?? subscription.Active;
        subscription.Description = request.Description.Or(subscription.Description);
        await db.SaveChangesAsync(cancellationToken);
        return NotificationSubscriptionResponse.From(subscription);
    }

    public async Task<NotificationSubscriptionResponse> GetAsync(Guid id, CancellationToken cancellationToken) =>
        NotificationSubscriptionResponse.From(await db.NotificationSubscriptions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken)
            ?? throw ApiException.NotFound(NotFound));

    public async Task<IReadOnlyList<NotificationSubscriptionResponse>> ListAsync(PageQuery page, CancellationToken cancellationToken) =>
        (await db.NotificationSubscriptions.AsNoTracking().NewestFirst(page).ToListAsync(cancellationToken)).Select(NotificationSubscriptionResponse.From).ToList();

    /// <summary>Soft-deletes the subscription and destroys its secret; its queued deliveries fail at their next attempt.</summary>
    public async Task<NotificationSubscriptionResponse> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        var subscription = await db.NotificationSubscriptions.FirstOrDefaultAsync(s => s.Id == id, cancellationToken)
            ?? throw ApiException.NotFound(NotFound);
        subscription.Delete(time.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(cancellationToken);
        return NotificationSubscriptionResponse.From(subscription);
    }

    /// <summary>The subscription's delivery attempts, newest first.</summary>
    public async Task<IReadOnlyList<NotificationDeliveryResponse>> DeliveriesAsync(Guid subscriptionId, PageQuery page, CancellationToken cancellationToken)
    {
        await EnsureExistsAsync(subscriptionId, cancellationToken);
        return await db.NotificationDeliveryAttempts.AsNoTracking()
            .Where(a => a.SubscriptionId == subscriptionId)
            .OrderByDescending(a => a.CreatedDate).ThenByDescending(a => a.Id)
            .Skip(page.Skip).Take(page.Limit)
            .Select(a => new NotificationDeliveryResponse(a.Id, a.OutboxId, a.SubscriptionId, a.EventType, a.Attempt, a.Status, a.ResponseCode, a.Error, a.NextAttemptAt, a.CreatedDate))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Queues a <c>ping</c>, delivered like any event (whatever the subscription's events).</summary>
    public async Task<NotificationPingResponse> TestAsync(Guid id, CancellationToken cancellationToken)
    {
        await EnsureExistsAsync(id, cancellationToken);
        var webhookId = await NotificationDeliveryLease.EnqueuePingAsync(dataSource, db.Tenant.OrganizationId!.Value, id, cancellationToken);
        return new(webhookId, NotificationEventType.Ping);
    }

    private async Task EnsureExistsAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await db.NotificationSubscriptions.AnyAsync(s => s.Id == id, cancellationToken))
            throw ApiException.NotFound(NotFound);
    }

    private async Task CheckUrlAsync(string url, CancellationToken cancellationToken)
    {
        if (await guard.ProblemAsync(url, cancellationToken) is { } problem)
            throw new RequestValidationException([new("body.url", problem)]);
    }
}
