using Neena.Domain.Triggers;
using Npgsql;
using static Neena.Persistence.FlowRuns.RunLifecycle;

namespace Neena.Persistence.Triggers;

/// <summary>PostgreSQL NOTIFY channel of schedule changes; payloads are schedule ids.</summary>
public static class ScheduleNotifications
{
    /// <summary>A schedule was created, changed or deleted: schedulers plan again now instead of at their next wake-up.</summary>
    public const string Changed = "neena_schedule_changed";
}

/// <summary>An active schedule as the scheduler plans it.</summary>
public sealed record DueSchedule(Guid Id, string Name, string Cron, string TimeZone, string MissedFires, DateTime Since);

/// <summary>
/// The SQL of schedule fires. A fire is an insert of the trigger run keyed by (schedule, fire time): whichever instance
/// decides first stores it, the others' identical inserts do nothing, so each slot becomes exactly one trigger run however
/// many instances run, with no lock held in memory.
/// </summary>
public static class ScheduleFires
{
    /// <summary>Actor of the trigger runs a schedule writes (their audit columns).</summary>
    public const string Actor = "schedule";

    private static readonly string Active = Literal(TriggerOperationStatus.Active);

    /// <summary>Every live active schedule with the instant after which its slots count, and the database's clock (which all instances share).</summary>
    public static async Task<(List<DueSchedule> Schedules, DateTime Now)> ActiveAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT now(), id, name, cron, time_zone, missed_fires, GREATEST(last_fire_time, active_since)
            FROM schedule_trigger_operations
            WHERE deleted_at IS NULL AND status = {Active} AND active_since IS NOT NULL
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var schedules = new List<DueSchedule>();
        var now = DateTime.UtcNow;
        var first = true;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (first)
                now = reader.GetDateTime(0);
            first = false;
            schedules.Add(new DueSchedule(reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetDateTime(6)));
        }
        if (first)
        {
            await reader.DisposeAsync();
            await using var clock = new NpgsqlCommand("SELECT now()", connection);
            now = (DateTime)(await clock.ExecuteScalarAsync(cancellationToken))!;
        }
        return (schedules, now);
    }

    /// <summary>
    /// Fires one slot in one transaction: stores its trigger run (unless any instance already has: the unique key decides),
    /// moves the schedule's <c>last_fire_time</c> forward, and notifies the trigger run processors at commit. Nothing is stored
    /// when the schedule was switched off or deleted meanwhile. Returns the new trigger run's id, or null when none was stored.
    /// </summary>
    public static async Task<Guid?> FireAsync(NpgsqlDataSource dataSource, Guid scheduleId, DateTime fireTime, string eventJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        Guid? inserted;
        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO trigger_runs (id, organization_id, schedule_trigger_operation_id, fire_time, status, event, attempts,
                                      created_date, modified_date, created_by_email, modified_by_email)
            SELECT @id, organization_id, id, @fire, {Literal(TriggerRunStatus.Received)}, @event::jsonb, 0, now(), now(), @actor, @actor
            FROM schedule_trigger_operations
            WHERE id = @schedule AND deleted_at IS NULL AND status = {Active}
            ON CONFLICT (schedule_trigger_operation_id, fire_time) DO NOTHING
            RETURNING id
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("id", Guid.CreateVersion7());
            insert.Parameters.AddWithValue("fire", fireTime);
            insert.Parameters.AddWithValue("event", eventJson);
            insert.Parameters.AddWithValue("actor", Actor);
            insert.Parameters.AddWithValue("schedule", scheduleId);
            inserted = await insert.ExecuteScalarAsync(cancellationToken) as Guid?;
        }

        await using (var last = new NpgsqlCommand(
            "UPDATE schedule_trigger_operations SET last_fire_time = @fire WHERE id = @schedule AND (last_fire_time IS NULL OR last_fire_time < @fire)",
            connection, transaction))
        {
            last.Parameters.AddWithValue("fire", fireTime);
            last.Parameters.AddWithValue("schedule", scheduleId);
            await last.ExecuteNonQueryAsync(cancellationToken);
        }

        if (inserted is { } id)
        {
            await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection, transaction);
            notify.Parameters.AddWithValue("channel", TriggerRunNotifications.Received);
            notify.Parameters.AddWithValue("payload", id.ToString());
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }
}
