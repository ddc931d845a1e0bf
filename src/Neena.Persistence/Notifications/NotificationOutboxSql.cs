using Neena.Domain.Notifications;
using Npgsql;
using static Neena.Persistence.FlowRuns.RunLifecycle;

namespace Neena.Persistence.Notifications;

/// <summary>PostgreSQL NOTIFY channel of queued notifications; the payload is empty.</summary>
public static class NotificationChannels
{
    /// <summary>Outbox rows were committed: a delivery worker should claim them now.</summary>
    public const string Queued = "neena_notification_queued";
}

/// <summary>
/// The outbox writes that go with state changes (contract §11): in the same statement or transaction as the change, one
/// row per active subscription of the organization that lists the event, nothing when none does. Every writer of such a
/// change uses these, so the rule lives in one place.
/// </summary>
public static class NotificationOutboxSql
{
    /// <summary>
    /// A CTE named <c>queued</c> (to put after <c>WITH …,</c>) inserting <paramref name="eventType"/> for each row of
    /// <paramref name="source"/>, a relation with <c>organization_id</c> and <c>subject_id</c>; it returns the new ids.
    /// </summary>
    public static string QueuedCte(string source, string eventType) => $"""
        queued AS (
            INSERT INTO notification_outbox (id, subscription_id, organization_id, event_type, subject_id, status, attempts, next_attempt_at, created_date)
            SELECT gen_random_uuid(), s.id, s.organization_id, {Literal(eventType)}, src.subject_id, {Literal(NotificationDeliveryStatus.Pending)}, 0, now(), now()
            FROM {source} src
            JOIN notification_subscriptions s ON s.organization_id = src.organization_id
            WHERE s.active AND s.deleted_at IS NULL AND {Literal(eventType)} = ANY (s.events)
            RETURNING id)
        """;

    /// <summary>An expression, in a query with <see cref="QueuedCte"/>, that wakes the delivery workers at commit when rows were queued.</summary>
    public const string NotifyIfQueued =
        $"(SELECT count(pg_notify('{NotificationChannels.Queued}', '')) FROM (SELECT 1 FROM queued LIMIT 1) AS any_queued)";

    /// <summary>The event a run's ending reports: completed or failed; none for a cancellation or rejection.</summary>
    public static string? RunEndEvent(string status) => status switch
    {
        Domain.FlowRuns.RunStatus.Completed => NotificationEventType.RunCompleted,
        Domain.FlowRuns.RunStatus.Failed => NotificationEventType.RunFailed,
        _ => null,
    };

    /// <summary>Queues <paramref name="eventType"/> about <paramref name="subjectId"/> for the organization's subscribers, on the caller's connection and transaction.</summary>
    public static async Task EnqueueAsync(NpgsqlConnection connection, Guid organizationId, string eventType, Guid subjectId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand($"""
            WITH src AS (SELECT @org::uuid AS organization_id, @subject::uuid AS subject_id),
            {QueuedCte("src", eventType)}
            SELECT {NotifyIfQueued}
            """, connection);
        command.Parameters.AddWithValue("org", organizationId);
        command.Parameters.AddWithValue("subject", subjectId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
