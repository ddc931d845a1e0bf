using Npgsql;

namespace Neena.Persistence.FlowRuns;

/// <summary>
/// Which instances have live-event streams open (<c>run_event_listeners</c>): run status changes are announced on
/// <see cref="FlowRunNotifications.Events"/> only while one has, as every announcement wakes every listening session of
/// the database (migration <c>RunEventListeners</c>).
/// </summary>
public static class RunEventListeners
{
    /// <summary>The lock the announcing trigger holds shared from its look until its transaction ends.</summary>
    public const long LockKey = 0x4E45454E41_0003;

    /// <summary>
    /// Registers <paramref name="instance"/> until <paramref name="lifetime"/> from now, then waits until every change
    /// that may have looked for registrations before this one was visible has committed: a run read after this returns
    /// sees each change, or the change is announced.
    /// </summary>
    public static async Task RegisterAsync(NpgsqlDataSource dataSource, string instance, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await RenewAsync(connection, instance, lifetime, cancellationToken);
        // Its own transaction, after the registration committed. Taken exclusively, the lock queues behind every change
        // holding it shared (they looked, perhaps before the registration) and ahead of those still to come (they will see it).
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var barrier = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKey})", connection, transaction))
            await barrier.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Extends the registration (or makes it again, if it expired and was purged); purges long-expired ones.</summary>
    public static async Task RenewAsync(NpgsqlDataSource dataSource, string instance, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await RenewAsync(connection, instance, lifetime, cancellationToken);
    }

    /// <summary>Ends the registration: changes stop being announced once no instance has one left.</summary>
    public static async Task UnregisterAsync(NpgsqlDataSource dataSource, string instance, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM run_event_listeners WHERE instance = $1");
        command.Parameters.AddWithValue(instance);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task RenewAsync(NpgsqlConnection connection, string instance, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            WITH purged AS (DELETE FROM run_event_listeners WHERE expires_at < now() - interval '1 hour' AND instance <> $1)
            INSERT INTO run_event_listeners (instance, expires_at) VALUES ($1, now() + $2)
            ON CONFLICT (instance) DO UPDATE SET expires_at = excluded.expires_at
            """, connection);
        command.Parameters.AddWithValue(instance);
        command.Parameters.AddWithValue(lifetime);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
