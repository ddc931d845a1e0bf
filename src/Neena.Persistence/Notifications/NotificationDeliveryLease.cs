using Neena.Domain.Notifications;
using Neena.Persistence.Queues;
using Npgsql;
using NpgsqlTypes;
using static Neena.Persistence.FlowRuns.RunLifecycle;

namespace Neena.Persistence.Notifications;

/// <summary>A claimed outbox entry: what its delivery needs. <see cref="Payload"/> is null until its first attempt builds it.</summary>
public sealed record ClaimedNotification(
    Guid Id, int Attempts, Guid OrganizationId, Guid SubscriptionId, string EventType, Guid? SubjectId, string? Payload, DateTime CreatedDate);

/// <summary>How one attempt ended, recorded with the outbox entry's new state.</summary>
/// <param name="Outcome">One of <see cref="NotificationAttemptOutcome"/>.</param>
/// <param name="RetryIn">For <see cref="NotificationAttemptOutcome.Retrying"/>: when the next attempt comes due.</param>
public sealed record NotificationAttemptResult(string Outcome, int? ResponseCode, string? Error, TimeSpan? RetryIn = null);

/// <summary>
/// The outbox worked as a leased queue (<see cref="LeasedQueue"/>, like trigger runs): several instances claim different
/// rows, a crashed instance's rows come back once its lease expires, and every write after the claim is fenced on the
/// lease. A claim is fair across organizations: it takes at most <c>perOrganization</c> rows of one organization,
/// counting those already being delivered, so one organization's backlog cannot hold every delivery slot.
/// </summary>
public sealed class NotificationDeliveryLease(NpgsqlDataSource dataSource, string owner, TimeSpan lease)
{
    private static readonly string Pending = Literal(NotificationDeliveryStatus.Pending);
    private static readonly string Delivering = Literal(NotificationDeliveryStatus.Delivering);
    private static readonly string Open = $"status IN ({Pending}, {Delivering})";

    private readonly LeasedQueue _queue = new(dataSource, owner, lease,
        new LeasedTable("notification_outbox", "attempts", NotificationDeliveryStatus.Delivering, Due: "next_attempt_at", Order: "next_attempt_at, created_date, id"));

    public string Owner => _queue.Owner;

    /// <summary>Claims up to <paramref name="max"/> due entries (at most <paramref name="perOrganization"/> in flight per organization); also how soon the next waiting one is due.</summary>
    public Task<(List<ClaimedNotification> Claimed, TimeSpan? NextDue)> ClaimAsync(int max, int perOrganization, CancellationToken cancellationToken)
    {
        var pick = $"""
            {Open} AND next_attempt_at <= now() AND id IN (
                SELECT r.id FROM (
                    SELECT o.id, o.organization_id,
                           row_number() OVER (PARTITION BY o.organization_id ORDER BY o.next_attempt_at, o.created_date, o.id) AS rank
                    FROM notification_outbox o
                    WHERE o.{Open} AND o.next_attempt_at <= now() AND (o.lease_expires_at IS NULL OR o.lease_expires_at < now())) AS r
                -- Each organization's deliveries in flight, counted once per claim: a count per candidate row (a correlated
                -- subquery) read the organization's whole outbox history once per queued entry, ~300 ms a claim at 2,000 queued.
                LEFT JOIN (SELECT h.organization_id, count(*) AS n FROM notification_outbox h
                           WHERE h.{Open} AND h.status = {Delivering} AND h.lease_expires_at >= now()
                           GROUP BY h.organization_id) AS f ON f.organization_id = r.organization_id
                WHERE r.rank + coalesce(f.n, 0) <= @per_org)
            """;
        return _queue.ClaimAsync(
            _queue.Claim(pick, still: Open, set: $"status = {Delivering}",
                returning: "notification_outbox.organization_id, notification_outbox.subscription_id, notification_outbox.event_type, notification_outbox.subject_id, notification_outbox.payload::text AS payload, notification_outbox.created_date"),
            waiting: Open,
            max,
            parameters => parameters.AddWithValue("per_org", perOrganization),
            reader => new ClaimedNotification(
                reader.GetGuid(0),
                reader.GetInt32(1),
                reader.GetGuid(2),
                reader.GetGuid(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetGuid(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetDateTime(7)),
            cancellationToken);
    }

    /// <summary>
    /// Stores the body built at the first attempt, so every retry sends the same; returns it as stored (jsonb's text, the
    /// bytes every attempt signs and sends), or null when the lease is lost.
    /// </summary>
    public async Task<string?> StorePayloadAsync(Guid id, string payload, CancellationToken cancellationToken)
    {
        await using var command = _queue.Command(_queue.UpdateHeld("payload = @payload::jsonb") + " RETURNING payload::text");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("payload", NpgsqlDbType.Text, payload);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>
    /// Records an attempt and the entry's new state in one statement (delivered, due again later, or failed for good); false
    /// when the lease is lost (nothing written: whoever holds the entry now records its own attempt).
    /// </summary>
    public async Task<bool> RecordAsync(Guid id, NotificationAttemptResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        var status = result.Outcome switch
        {
            NotificationAttemptOutcome.Delivered => NotificationDeliveryStatus.Delivered,
            NotificationAttemptOutcome.Retrying => NotificationDeliveryStatus.Pending,
            _ => NotificationDeliveryStatus.Failed,
        };
        await using var command = _queue.Command($"""
            WITH updated AS (
                {_queue.UpdateHeld($"""
                    status = @status, lease_owner = NULL, lease_expires_at = NULL, last_response_code = @code, last_error = @error,
                           next_attempt_at = CASE WHEN @retry_in IS NULL THEN next_attempt_at ELSE now() + @retry_in END,
                           delivered_at = CASE WHEN @status = {Literal(NotificationDeliveryStatus.Delivered)} THEN now() END
                    """)}
                RETURNING id, subscription_id, organization_id, event_type, attempts, next_attempt_at)
            INSERT INTO notification_delivery_attempts (id, outbox_id, subscription_id, organization_id, event_type, attempt, status, response_code, error, next_attempt_at, created_date)
            SELECT gen_random_uuid(), u.id, u.subscription_id, u.organization_id, u.event_type, u.attempts, @outcome, @code, @error,
                   CASE WHEN @retry_in IS NULL THEN NULL ELSE u.next_attempt_at END, now()
            FROM updated u
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("outcome", result.Outcome);
        command.Parameters.Add(new NpgsqlParameter("code", NpgsqlDbType.Integer) { Value = (object?)result.ResponseCode ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Varchar) { Value = (object?)Cut(result.Error) ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("retry_in", NpgsqlDbType.Interval) { Value = (object?)result.RetryIn ?? DBNull.Value });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Hands an entry back in good order (shutdown): due at once, and the claim does not count.</summary>
    public Task<bool> ReleaseAsync(Guid id, CancellationToken cancellationToken) =>
        _queue.UpdateHeldAsync(id, $"status = {Pending}, {_queue.HandBack}", null, cancellationToken);

    /// <summary>Queues a <c>ping</c> for one subscription (the test endpoint); returns its webhook-id.</summary>
    public static async Task<Guid> EnqueuePingAsync(NpgsqlDataSource dataSource, Guid organizationId, Guid subscriptionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var id = Guid.CreateVersion7();
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO notification_outbox (id, subscription_id, organization_id, event_type, status, attempts, next_attempt_at, created_date)
            VALUES (@id, @subscription, @org, {Literal(NotificationEventType.Ping)}, {Pending}, 0, now(), now());
            SELECT pg_notify('{NotificationChannels.Queued}', '');
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("subscription", subscriptionId);
        command.Parameters.AddWithValue("org", organizationId);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return id;
    }

    private static string? Cut(string? error) =>
        error is { Length: > NotificationOutboxEntry.MaxErrorLength } ? error[..(NotificationOutboxEntry.MaxErrorLength - 1)] + "…" : error;
}
