using Npgsql;

namespace Neena.Persistence.FlowRuns;

/// <summary>
/// Which instances have live-event streams open (<c>run_event_listeners</c>): run status changes are announced on
/// <see cref="FlowRunNotifications.Events"/> only while one has, as every announcement wakes every listening session of
/// the database (migration <c>RunEventListeners</c>).
/// </summary>
public static class RunEventListeners
{
    /// <summary>How long a registration waits for the changes that looked before it; past it, streams rely on their heartbeat.</summary>
    public static readonly TimeSpan BarrierTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Registers <paramref name="instance"/> until <paramref name="lifetime"/> from now, then waits until every change
    /// that may have looked for registrations before this one was visible has ended: a run read after this returns sees
    /// each change, or the change is announced.
    /// </summary>
    /// <remarks>
    /// A change looks (the trigger runs) after it wrote its row, so it holds a transaction id by then: every change that
    /// looked before the registration committed has an id below the next one after that commit. Waiting until the oldest
    /// running transaction id is at least that next id waits for exactly those, without a lock on the changes' path.
    /// </remarks>
    /// <exception cref="TimeoutException">Some transaction from before the registration ran past <see cref="BarrierTimeout"/>.</exception>
    public static async Task RegisterAsync(NpgsqlDataSource dataSource, string instance, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await RenewAsync(connection, instance, lifetime, cancellationToken);
        string next;
        await using (var after = new NpgsqlCommand("SELECT pg_snapshot_xmax(pg_current_snapshot())::text", connection))
            next = (string)(await after.ExecuteScalarAsync(cancellationToken))!;
        await using var ended = new NpgsqlCommand("SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8", connection);
        ended.Parameters.AddWithValue(next);
        var deadline = DateTime.UtcNow + BarrierTimeout;
        while (!(bool)(await ended.ExecuteScalarAsync(cancellationToken))!)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Transactions begun before the run event registration were still running after {BarrierTimeout.TotalSeconds} s.");
            await Task.Delay(5, cancellationToken);
        }
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
