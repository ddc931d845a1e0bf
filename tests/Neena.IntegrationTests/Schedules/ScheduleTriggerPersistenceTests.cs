using Microsoft.EntityFrameworkCore;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.Infrastructure;
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

    private async Task<ScheduleTriggerOperation> StoreScheduleAsync(Guid organizationId)
    {
        await using var db = factory.CreateDbContext(organizationId);
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
        db.ScheduleTriggerOperations.Add(schedule);
        await db.SaveChangesAsync();
        return schedule;
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
}
