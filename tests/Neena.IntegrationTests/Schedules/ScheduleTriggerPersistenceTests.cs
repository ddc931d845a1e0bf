using Microsoft.EntityFrameworkCore;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.Infrastructure;
using Neena.Persistence.Triggers;
using Npgsql;

namespace Neena.IntegrationTests.Schedules;

/// <summary>
/// The tables behind schedule triggers: a schedule round-trips, and the unique (schedule, fire time) key makes racing
/// instances that fire the same slot store one trigger run, in the database rather than in any one process's memory.
/// </summary>
public sealed class ScheduleTriggerPersistenceTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    // How the scheduler is to insert a fire: the loser of a race inserts nothing and learns it from the row count.
    private const string InsertFire = """
        INSERT INTO trigger_runs (id, organization_id, schedule_trigger_operation_id, fire_time, status, attempts, created_date, modified_date)
        VALUES ($1, $2, $3, $4, 'received', 0, now(), now())
        ON CONFLICT (schedule_trigger_operation_id, fire_time) DO NOTHING
        """;

    private async Task<ScheduleTriggerOperation> StoreScheduleAsync(Guid organizationId) => (await StoreSchedulesAsync(organizationId, 1))[0];

    private async Task<List<ScheduleTriggerOperation>> StoreSchedulesAsync(Guid organizationId, int count)
    {
        await using var db = factory.CreateDbContext(organizationId);
        var schedules = Enumerable.Range(0, count).Select(_ => NewSchedule(organizationId)).ToList();
        db.ScheduleTriggerOperations.AddRange(schedules);
        await db.SaveChangesAsync();
        return schedules;
    }

    private static ScheduleTriggerOperation NewSchedule(Guid organizationId)
    {
        var schedule = new ScheduleTriggerOperation
        {
            OrganizationId = organizationId,
            Name = "Monday summary",
            Cron = "0 9 * * 1",
            TimeZone = "Europe/Amsterdam",
            TemplateBody = "Summarise #sales at <{fire_time}> for <{schedule_name}>",
            MissedFires = MissedFires.Skip,
            RequiresApproval = true,
        };
        schedule.SetStatus(TriggerOperationStatus.Active, DateTime.UtcNow);
        return schedule;
    }

    private static List<DueFire> Due(IEnumerable<ScheduleTriggerOperation> schedules, DateTime slot) =>
        [.. schedules.Select(s => new DueFire(s.Id, slot, ScheduleFire.Values(slot, s.Name).ToJsonString()))];

    /// <summary>Per schedule: its trigger runs' slots and the transaction that wrote each (<c>xmin</c>), and its <c>last_fire_time</c>.</summary>
    private async Task<List<(Guid Schedule, DateTime? LastFireTime, string ScheduleXmin, DateTime? Slot, string? RunXmin)>> StateAsync(IEnumerable<Guid> schedules)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT s.id, s.last_fire_time, s.xmin::text, t.fire_time, t.xmin::text
            FROM schedule_trigger_operations s LEFT JOIN trigger_runs t ON t.schedule_trigger_operation_id = s.id
            WHERE s.id = ANY($1) ORDER BY s.id, t.fire_time
            """, connection);
        command.Parameters.AddWithValue(schedules.ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(Guid, DateTime?, string, DateTime?, string?)>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetDateTime(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetDateTime(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        return rows;
    }

    private async Task<int> InsertFireAsync(Guid organizationId, Guid scheduleId, DateTime fireTime)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(InsertFire, connection);
        command.Parameters.AddWithValue(Guid.CreateVersion7());
        command.Parameters.AddWithValue(organizationId);
        command.Parameters.AddWithValue(scheduleId);
        command.Parameters.AddWithValue(fireTime);
        return await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Schedule_RoundTrips()
    {
        var tenant = await factory.CreateTenantAsync();
        var stored = await StoreScheduleAsync(tenant.OrganizationId);

        await using var db = factory.CreateDbContext(tenant.OrganizationId);
        var read = await db.ScheduleTriggerOperations.AsNoTracking().SingleAsync(s => s.Id == stored.Id);

        Assert.Equal(("0 9 * * 1", "Europe/Amsterdam", MissedFires.Skip, TriggerOperationStatus.Active, true),
            (read.Cron, read.TimeZone, read.MissedFires, read.Status, read.RequiresApproval));
        Assert.NotNull(read.ActiveSince);
        Assert.Null(read.LastFireTime);
        Assert.Equal(tenant.OrganizationId, read.OrganizationId);
    }

    [Fact]
    public async Task SameSlotFiredByManyInstancesAtOnce_StoresOneTriggerRun()
    {
        var tenant = await factory.CreateTenantAsync();
        var schedule = await StoreScheduleAsync(tenant.OrganizationId);
        var slot = new DateTime(2025, 3, 31, 7, 0, 0, DateTimeKind.Utc);

        var inserted = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => InsertFireAsync(tenant.OrganizationId, schedule.Id, slot))));
        var nextSlot = await InsertFireAsync(tenant.OrganizationId, schedule.Id, slot.AddDays(7));

        Assert.Equal(1, inserted.Sum());
        Assert.Equal(1, nextSlot);
        await using var db = factory.CreateDbContext(tenant.OrganizationId);
        var runs = await db.TriggerRuns.AsNoTracking().Where(r => r.ScheduleTriggerOperationId == schedule.Id).OrderBy(r => r.FireTime).ToListAsync();
        Assert.Equal([slot, slot.AddDays(7)], runs.Select(r => r.FireTime!.Value));
        Assert.All(runs, r => Assert.Null(r.WebhookTriggerOperationId));
    }

    [Fact]
    public async Task TriggerRun_NamesExactlyOneOperation()
    {
        var tenant = await factory.CreateTenantAsync();
        var schedule = await StoreScheduleAsync(tenant.OrganizationId);
        await using var db = factory.CreateDbContext(tenant.OrganizationId);

        // Neither operation, and a schedule's run without its slot: both refused by the table itself.
        db.TriggerRuns.Add(new TriggerRun { OrganizationId = tenant.OrganizationId });
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        db.ChangeTracker.Clear();
        db.TriggerRuns.Add(new TriggerRun { OrganizationId = tenant.OrganizationId, ScheduleTriggerOperationId = schedule.Id });
        var error = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());

        Assert.Contains("ck_trigger_runs_one_operation", error.InnerException?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchFire_StoresTheSlotsOfSchedulesStillActive_AndLeavesThoseDeletedOrPausedSincePlanning()
    {
        var tenant = await factory.CreateTenantAsync();
        var schedules = await StoreSchedulesAsync(tenant.OrganizationId, 5);
        var slot = new DateTime(2025, 3, 31, 7, 0, 0, DateTimeKind.Utc);
        var due = Due(schedules, slot); // planned while all five were active
        var (deleted, paused) = (schedules[1].Id, schedules[3].Id);
        await using (var db = factory.CreateDbContext(tenant.OrganizationId))
        {
            var stored = await db.ScheduleTriggerOperations.Where(s => s.Id == deleted || s.Id == paused).ToListAsync();
            stored.Single(s => s.Id == deleted).DeletedAt = DateTime.UtcNow;
            stored.Single(s => s.Id == paused).SetStatus(TriggerOperationStatus.Inactive, DateTime.UtcNow);
            await db.SaveChangesAsync();
        }

        await using var dataSource = NpgsqlDataSource.Create(factory.ConnectionString);
        var fired = await ScheduleFires.FireAsync(dataSource, due, CancellationToken.None);

        var live = schedules.Select(s => s.Id).Except([deleted, paused]).Order().ToList();
        Assert.Equal(live, fired.Select(f => f.ScheduleId).Order());
        Assert.All(fired, f => Assert.Equal(slot, f.FireTime));
        var state = await StateAsync(schedules.Select(s => s.Id));
        Assert.Equal(live, state.Where(r => r.Slot == slot).Select(r => r.Schedule).Order());
        Assert.All(state.Where(r => live.Contains(r.Schedule)), r => Assert.Equal(slot, r.LastFireTime));
        // Nothing fired for them, so they keep no fire time of a slot they never had.
        Assert.All(state.Where(r => !live.Contains(r.Schedule)), r => Assert.Equal((null, null), (r.Slot, r.LastFireTime)));
        Assert.Single(state.Where(r => r.Slot is not null).Select(r => r.RunXmin).Distinct());
    }

    [Fact]
    public async Task BatchFire_OfASlotOlderThanTheSchedulesNewest_StoresNothing_AndKeepsLastFireTime()
    {
        var tenant = await factory.CreateTenantAsync();
        var schedules = await StoreSchedulesAsync(tenant.OrganizationId, 2);
        var (older, newer) = (new DateTime(2025, 3, 24, 7, 0, 0, DateTimeKind.Utc), new DateTime(2025, 3, 31, 7, 0, 0, DateTimeKind.Utc));
        await using var dataSource = NpgsqlDataSource.Create(factory.ConnectionString);
        Assert.Single(await ScheduleFires.FireAsync(dataSource, Due(schedules[..1], newer), CancellationToken.None));

        // An instance that planned from an older reading: its slot of the first schedule comes after that schedule's newest fire.
        var fired = await ScheduleFires.FireAsync(dataSource, Due(schedules, older), CancellationToken.None);

        Assert.Equal([schedules[1].Id], fired.Select(f => f.ScheduleId));
        var state = await StateAsync(schedules.Select(s => s.Id));
        Assert.Equal([(schedules[0].Id, newer, newer)], state.Where(r => r.Schedule == schedules[0].Id).Select(r => (r.Schedule, r.LastFireTime, r.Slot)));
        Assert.Equal([(schedules[1].Id, older, older)], state.Where(r => r.Schedule == schedules[1].Id).Select(r => (r.Schedule, r.LastFireTime, r.Slot)));
    }

    [Fact]
    public async Task BatchFires_RacingInstances_StoreEachSlotOnceInOneTransaction_AndTheLosersWriteNothing()
    {
        var tenant = await factory.CreateTenantAsync();
        var schedules = await StoreSchedulesAsync(tenant.OrganizationId, 60);
        await using var dataSource = NpgsqlDataSource.Create(factory.ConnectionString);
        var slot = new DateTime(2025, 3, 31, 7, 0, 0, DateTimeKind.Utc);

        for (var i = 0; i < 3; i++, slot = slot.AddSeconds(10))
        {
            // Four instances, each with the slot's schedules in an order of its own.
            var fired = await Task.WhenAll(Enumerable.Range(0, 4).Select(n => Task.Run(() =>
                ScheduleFires.FireAsync(dataSource, [.. Due(schedules, slot).OrderBy(f => HashCode.Combine(f.ScheduleId, n))], CancellationToken.None))));

            // Each fire counted by the one instance that stored it.
            Assert.Equal(schedules.Select(s => s.Id).Order(), fired.SelectMany(f => f).Select(f => f.ScheduleId).Order());
            Assert.Single(fired, f => f.Count > 0);
            var state = await StateAsync(schedules.Select(s => s.Id));
            var ofSlot = state.Where(r => r.Slot == slot).ToList();
            Assert.Equal(schedules.Select(s => s.Id).Order(), ofSlot.Select(r => r.Schedule));
            // One transaction stored the slot and moved every last_fire_time; the others left even the schedules' rows alone.
            var writer = Assert.Single(ofSlot.Select(r => r.RunXmin).Distinct());
            Assert.All(ofSlot, r => Assert.Equal((slot, writer), (r.LastFireTime!.Value, r.ScheduleXmin)));
        }
    }

    [Fact]
    public async Task BatchFire_LargerThanOneStatement_IsStoredInChunks()
    {
        var tenant = await factory.CreateTenantAsync();
        var schedules = await StoreSchedulesAsync(tenant.OrganizationId, ScheduleFires.MaxFiresPerStatement + 1);
        var slot = new DateTime(2025, 3, 31, 7, 0, 0, DateTimeKind.Utc);
        await using var dataSource = NpgsqlDataSource.Create(factory.ConnectionString);

        var fired = await ScheduleFires.FireAsync(dataSource, Due(schedules, slot), CancellationToken.None);

        Assert.Equal(schedules.Count, fired.Count);
        var state = await StateAsync(schedules.Select(s => s.Id));
        Assert.Equal(schedules.Count, state.Count(r => r.Slot == slot && r.LastFireTime == slot));
        Assert.Equal(2, state.Select(r => r.RunXmin).Distinct().Count());
    }
}
