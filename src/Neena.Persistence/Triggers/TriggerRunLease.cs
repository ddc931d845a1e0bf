using Neena.Domain.Notifications;
using Neena.Domain.Triggers;
using Neena.Persistence.Notifications;
using Neena.Persistence.Queues;
using Npgsql;
using NpgsqlTypes;
using static Neena.Persistence.FlowRuns.RunLifecycle;

namespace Neena.Persistence.Triggers;

/// <summary>PostgreSQL NOTIFY channel of received deliveries; payloads are trigger run ids.</summary>
public static class TriggerRunNotifications
{
    /// <summary>A delivery was stored as a trigger run: a processor should claim it now.</summary>
    public const string Received = "neena_trigger_run_received";
}

/// <summary>A delivery the receiver accepted, as it is stored.</summary>
public sealed record TriggerRunDelivery(Guid OrganizationId, Guid OperationId, string EventJson, string? DeliveryId, string? IntegrationEntityId)
{
    /// <summary>The signature that verified the delivery, when a replay of it must be recognised whatever its delivery id.</summary>
    public byte[]? Signature { get; init; }

    /// <summary>When a replay of <see cref="Signature"/> can no longer pass the timestamp check (its row may be deleted then).</summary>
    public DateTimeOffset SignatureExpiresAt { get; init; }
}

/// <summary>The trigger run holding a delivery, and whether an earlier delivery of the same event had already stored it.</summary>
public sealed record StoredDelivery(Guid TriggerRunId, bool Duplicate);

/// <summary>A claimed trigger run: how many claims it has had (this one included), and the error the last one ended with.</summary>
public sealed record ClaimedTriggerRun(Guid Id, int Attempts, string? LastError);

/// <summary>
/// The SQL of the trigger run lifecycle: the receiver's race-safe store (<see cref="StoreAsync"/>), and the processor's
/// claims under a lease (like flow runs': claims skip locked rows, times come from the database clock so that instances
/// agree, and every later write is fenced on the lease, so an instance whose lease was taken over writes nothing).
/// </summary>
public sealed class TriggerRunLease(NpgsqlDataSource dataSource, string owner, TimeSpan lease)
{
    /// <summary>Actor of the rows written here (their audit columns): no person writes a delivery.</summary>
    public const string Actor = "webhook";

    private static readonly string Received = Literal(TriggerRunStatus.Received);
    private static readonly string Processing = Literal(TriggerRunStatus.Processing);
    /// <summary>A trigger run still to be processed (received, or held by an instance): what a claim looks at and its index covers.</summary>
    public static readonly string Open = $"status IN ({Received}, {Processing})";

    private readonly LeasedQueue _queue = new(dataSource, owner, lease,
        new LeasedTable("trigger_runs", "attempts", TriggerRunStatus.Processing, Due: "lease_expires_at", Order: "created_date, id"));

    public string Owner => _queue.Owner;

    /// <summary>
    /// Stores a delivery as a <c>received</c> trigger run and notifies the processors at commit; a delivery whose id the
    /// operation has already stored is not stored again (the unique index decides, so two racing copies store one row)
    /// and the first one's trigger run is returned. So is one whose <see cref="TriggerRunDelivery.Signature"/> was seen before,
    /// whatever its delivery id: a captured delivery sent again is a replay, not a new event.
    /// </summary>
    public static async Task<StoredDelivery> StoreAsync(NpgsqlDataSource dataSource, TriggerRunDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(delivery);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (delivery.Signature is { } signature && await ClaimSignatureAsync(connection, transaction, delivery.OperationId, signature, delivery.SignatureExpiresAt, cancellationToken) is { } replayed)
        {
            await transaction.CommitAsync(cancellationToken);
            return new StoredDelivery(replayed, Duplicate: true);
        }

        Guid? inserted;
        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO trigger_runs (id, organization_id, webhook_trigger_operation_id, status, event, delivery_id, integration_entity_id,
                                      attempts, created_date, modified_date, created_by_email, modified_by_email)
            VALUES (@id, @org, @operation, {Received}, @event::jsonb, @delivery, @entity, 0, now(), now(), @actor, @actor)
            ON CONFLICT (webhook_trigger_operation_id, delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING
            RETURNING id
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("id", Guid.CreateVersion7());
            insert.Parameters.AddWithValue("org", delivery.OrganizationId);
            insert.Parameters.AddWithValue("operation", delivery.OperationId);
            insert.Parameters.AddWithValue("event", delivery.EventJson);
            insert.Parameters.Add(Text("delivery", delivery.DeliveryId));
            insert.Parameters.Add(Text("entity", delivery.IntegrationEntityId));
            insert.Parameters.AddWithValue("actor", Actor);
            inserted = await insert.ExecuteScalarAsync(cancellationToken) as Guid?;
        }

        StoredDelivery stored;
        if (inserted is { } id)
        {
            await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection, transaction);
            notify.Parameters.AddWithValue("channel", TriggerRunNotifications.Received);
            notify.Parameters.AddWithValue("payload", id.ToString());
            await notify.ExecuteNonQueryAsync(cancellationToken);
            stored = new StoredDelivery(id, Duplicate: false);
        }
        else
        {
            // ON CONFLICT waited for the conflicting insert to commit, and this statement's snapshot is newer: the row is visible.
            await using var existing = new NpgsqlCommand(
                "SELECT id FROM trigger_runs WHERE webhook_trigger_operation_id = @operation AND delivery_id = @delivery", connection, transaction);
            existing.Parameters.AddWithValue("operation", delivery.OperationId);
            existing.Parameters.AddWithValue("delivery", delivery.DeliveryId!);
            stored = new StoredDelivery((Guid)(await existing.ExecuteScalarAsync(cancellationToken))!, Duplicate: true);
        }

        if (delivery.Signature is { } seen)
        {
            // A replay of this signature (a retry of a repeated delivery included) answers with the same trigger run.
            await using var link = new NpgsqlCommand(
                "UPDATE webhook_delivery_signatures SET trigger_run_id = @run WHERE webhook_trigger_operation_id = @operation AND signature = @signature",
                connection, transaction);
            link.Parameters.AddWithValue("run", stored.TriggerRunId);
            link.Parameters.AddWithValue("operation", delivery.OperationId);
            link.Parameters.AddWithValue("signature", seen);
            await link.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    /// <summary>
    /// Records a verified signature, in the delivery's transaction, before its trigger run: null when it is new, else the trigger
    /// run of the delivery that carried it first. The primary key decides, so a copy racing the first waits for its commit
    /// and then sees its trigger run. Each call also deletes a batch of expired signatures (any instance's, skipping those
    /// another transaction holds), so the table stays about as large as one timestamp window of deliveries.
    /// </summary>
    private static async Task<Guid?> ClaimSignatureAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid operationId, byte[] signature, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using (var cleanup = new NpgsqlCommand("""
            DELETE FROM webhook_delivery_signatures WHERE ctid IN (
                SELECT ctid FROM webhook_delivery_signatures WHERE expires_at < now() LIMIT 100 FOR UPDATE SKIP LOCKED)
            """, connection, transaction))
        {
            await cleanup.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var claim = new NpgsqlCommand("""
            INSERT INTO webhook_delivery_signatures (webhook_trigger_operation_id, signature, expires_at)
            VALUES (@operation, @signature, @expires)
            ON CONFLICT (webhook_trigger_operation_id, signature) DO NOTHING
            """, connection, transaction))
        {
            claim.Parameters.AddWithValue("operation", operationId);
            claim.Parameters.AddWithValue("signature", signature);
            claim.Parameters.AddWithValue("expires", expiresAt);
            if (await claim.ExecuteNonQueryAsync(cancellationToken) == 1)
                return null;
        }

        await using var first = new NpgsqlCommand(
            "SELECT trigger_run_id FROM webhook_delivery_signatures WHERE webhook_trigger_operation_id = @operation AND signature = @signature",
            connection, transaction);
        first.Parameters.AddWithValue("operation", operationId);
        first.Parameters.AddWithValue("signature", signature);
        return await first.ExecuteScalarAsync(cancellationToken) as Guid?;
    }

    /// <summary>
    /// Claims up to <paramref name="max"/> open trigger runs whose lease is free or expired (a crashed instance's, or a
    /// retry's wait that is over), oldest first, and counts the claim. Also says how soon the nearest waiting one comes due.
    /// </summary>
    public async Task<(List<ClaimedTriggerRun> Claimed, TimeSpan? NextDue)> ClaimAsync(int max, CancellationToken cancellationToken) =>
        await _queue.ClaimAsync(
            _queue.Claim(Open, still: Open, set: $"status = {Processing}, modified_date = now()", returning: "error"),
            waiting: Open,
            max,
            parameters: null,
            reader => new ClaimedTriggerRun(
                reader.GetGuid(reader.GetOrdinal("id")),
                reader.GetInt32(reader.GetOrdinal("attempts")),
                reader.IsDBNull(reader.GetOrdinal("error")) ? null : reader.GetString(reader.GetOrdinal("error"))),
            cancellationToken);

    /// <summary>
    /// In the caller's transaction: locks a trigger run this instance still holds (<c>processing</c>, its lease), so that nobody
    /// can take it over until the transaction ends. False when the lease is lost: the caller must write nothing.
    /// </summary>
    public async Task<bool> LockAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT 1 FROM trigger_runs WHERE id = @id AND {_queue.Held()} FOR UPDATE", connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("owner", _queue.Owner);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>In the caller's transaction, after <see cref="LockAsync"/>: the trigger run is done, with its flow request and run.</summary>
    public async Task CompleteAsync(NpgsqlConnection connection, Guid id, Guid flowRequestId, Guid flowRunId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(_queue.UpdateHeld($"""
            status = {Literal(TriggerRunStatus.Completed)}, flow_request_id = @request, flow_run_id = @run, error = NULL,
                   lease_owner = NULL, lease_expires_at = NULL, modified_date = now()
            """), connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("owner", _queue.Owner);
        command.Parameters.AddWithValue("request", flowRequestId);
        command.Parameters.AddWithValue("run", flowRunId);
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
            throw new InvalidOperationException($"Trigger run {id} was not locked by this instance before completing it.");
    }

    /// <summary>Fails a trigger run this instance holds; false when the lease was lost (nothing written).</summary>
    /// <remarks>The trigger_run.failed outbox rows are written by the same statement.</remarks>
    public async Task<bool> FailAsync(Guid id, string error, CancellationToken cancellationToken)
    {
        await using var command = _queue.Command($"""
            WITH failed AS (
                {_queue.UpdateHeld($"status = {Literal(TriggerRunStatus.Failed)}, error = @error, lease_owner = NULL, lease_expires_at = NULL, modified_date = now()")}
                RETURNING organization_id, id AS subject_id),
            {NotificationOutboxSql.QueuedCte("failed", NotificationEventType.TriggerRunFailed)}
            SELECT {NotificationOutboxSql.NotifyIfQueued} FROM failed
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("error", error);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// Hands a trigger run back after a transient failure: <c>received</c> again with the error, claimable by any instance
    /// once <paramref name="delay"/> has passed (its lease time doubles as the time it is due). The claim counts.
    /// </summary>
    public Task<bool> RetryLaterAsync(Guid id, string error, TimeSpan delay, CancellationToken cancellationToken) =>
        _queue.UpdateHeldAsync(id, $"status = {Received}, error = @error, lease_owner = NULL, lease_expires_at = now() + @delay, modified_date = now()",
            parameters =>
            {
                parameters.AddWithValue("error", error);
                parameters.AddWithValue("delay", delay);
            },
            cancellationToken);

    /// <summary>Hands a trigger run back in good order (shutdown): claimable at once, and this claim does not count.</summary>
    public Task<bool> ReleaseAsync(Guid id, CancellationToken cancellationToken) =>
        _queue.UpdateHeldAsync(id, $"status = {Received}, {_queue.HandBack}, modified_date = now()", null, cancellationToken);

    private static NpgsqlParameter Text(string name, string? value) => new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };
}
