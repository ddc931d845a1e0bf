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

/// <summary>A slot the scheduler found due: the schedule, the slot (UTC) and the trigger run's event.</summary>
public sealed record DueFire(Guid ScheduleId, DateTime FireTime, string EventJson);

/// <summary>A fire this instance stored: its schedule, slot and trigger run.</summary>
public sealed record StoredFire(Guid ScheduleId, DateTime FireTime, Guid TriggerRunId);

/// <summary>
/// The SQL of schedule fires. A fire moves its schedule's <c>last_fire_time</c> to the slot and inserts the trigger run keyed
/// by (schedule, fire time), under the schedule's row lock: whichever instance locks first stores it, the others find the
/// slot taken and write nothing, so each slot becomes exactly one trigger run however many instances run, with no lock held
/// in memory.
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

    /// <summary>The most fires one statement stores, so that its parameters stay bounded however many schedules are due.</summary>
    public const int MaxFiresPerStatement = 1000;

    /// <summary>
    /// Fires the due slots of one wake-up, <see cref="MaxFiresPerStatement"/> at a time, each chunk in one statement (one
    /// round trip, one transaction): for every schedule still live, active and not yet fired at or after its slot, it moves
    /// <c>last_fire_time</c> to the slot and stores the trigger run, then notifies the trigger run processors once.
    /// Returns the fires this call stored; the others were stored by another instance, or their schedule was switched off
    /// or deleted meanwhile.
    /// </summary>
    /// <remarks>
    /// Instances firing the same slot race on the schedules' rows, which the statement locks in id order (so that two
    /// batches never wait on each other in a cycle). The loser waits for the winner's commit, then finds
    /// <c>last_fire_time</c> already at the slot and skips the schedule without writing anything; the unique
    /// (schedule, fire time) key stays the last word. A fire older than the schedule's newest is skipped the same way:
    /// <c>last_fire_time</c> never goes backwards.
    /// </remarks>
    public static async Task<List<StoredFire>> FireAsync(NpgsqlDataSource dataSource, IReadOnlyList<DueFire> fires, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(fires);
        var stored = new List<StoredFire>();
        if (fires.Count == 0)
            return stored;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        foreach (var chunk in fires.OrderBy(f => f.ScheduleId).Chunk(MaxFiresPerStatement))
        {
            await using var command = new NpgsqlCommand($"""
                WITH due AS (
                    SELECT s.id, s.organization_id, d.fire_time, d.event, d.trigger_run_id
                    FROM unnest(@schedules, @fires, @events, @ids) AS d(schedule_id, fire_time, event, trigger_run_id)
                    JOIN schedule_trigger_operations s ON s.id = d.schedule_id
                    WHERE s.deleted_at IS NULL AND s.status = {Active} AND (s.last_fire_time IS NULL OR s.last_fire_time < d.fire_time)
                    ORDER BY s.id
                    FOR UPDATE OF s
                ),
                moved AS (
                    UPDATE schedule_trigger_operations s SET last_fire_time = due.fire_time FROM due WHERE s.id = due.id
                ),
                stored AS (
                    INSERT INTO trigger_runs (id, organization_id, schedule_trigger_operation_id, fire_time, status, event, attempts,
                                              created_date, modified_date, created_by_email, modified_by_email)
                    SELECT trigger_run_id, organization_id, id, fire_time, {Literal(TriggerRunStatus.Received)}, event::jsonb, 0, now(), now(), @actor, @actor
                    FROM due
                    ON CONFLICT (schedule_trigger_operation_id, fire_time) DO NOTHING
                    RETURNING id, schedule_trigger_operation_id, fire_time
                )
                SELECT array_agg(schedule_trigger_operation_id), array_agg(fire_time), array_agg(id),
                       pg_notify(@channel, (array_agg(id))[1]::text)::text
                FROM stored
                HAVING count(*) > 0
                """, connection);
            command.Parameters.AddWithValue("schedules", chunk.Select(f => f.ScheduleId).ToArray());
            command.Parameters.AddWithValue("fires", chunk.Select(f => f.FireTime).ToArray());
            command.Parameters.AddWithValue("events", chunk.Select(f => f.EventJson).ToArray());
            command.Parameters.AddWithValue("ids", chunk.Select(_ => Guid.CreateVersion7()).ToArray());
            command.Parameters.AddWithValue("actor", Actor);
            command.Parameters.AddWithValue("channel", TriggerRunNotifications.Received);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
                continue;
            var schedules = reader.GetFieldValue<Guid[]>(0);
            var times = reader.GetFieldValue<DateTime[]>(1);
            var ids = reader.GetFieldValue<Guid[]>(2);
            for (var i = 0; i < ids.Length; i++)
                stored.Add(new StoredFire(schedules[i], times[i], ids[i]));
        }
        return stored;
    }
}
