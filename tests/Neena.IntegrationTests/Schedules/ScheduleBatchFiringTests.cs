using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Neena.Api.Workers;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.Infrastructure;
using Neena.Persistence;
using Npgsql;

namespace Neena.IntegrationTests.Schedules;

/// <summary>
/// The server without a scheduler, trigger run processor or engine: tests start schedulers themselves, as separate servers
/// would, and the stored trigger runs stay as the schedulers wrote them.
/// </summary>
public sealed class NoSchedulerFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:Enabled"] = "false",
        ["Webhooks:ProcessorEnabled"] = "false",
        ["Schedules:Enabled"] = "false",
    };
}

/// <summary>Two schedulers on one database, many schedules due at the same slots (§11).</summary>
public sealed class ScheduleBatchFiringTests(NoSchedulerFactory factory) : IClassFixture<NoSchedulerFactory>
{
    private const int Schedules = 40;

    private async Task<ScheduleTriggerScheduler> StartSchedulerAsync()
    {
        var scheduler = new ScheduleTriggerScheduler(
            factory.Services.GetRequiredService<NpgsqlDataSource>(),
            factory.Services.GetRequiredService<NotificationHub>(),
            Options.Create(new ScheduleOptions()),
            NullLogger<ScheduleTriggerScheduler>.Instance);
        await scheduler.StartAsync(CancellationToken.None);
        await scheduler.Listening.WaitAsync(TimeSpan.FromSeconds(30));
        return scheduler;
    }

    [Fact]
    public async Task TwoSchedulers_StoreEachSlotOfManySchedulesOnce_InOneTransaction()
    {
        var tenant = await factory.CreateTenantAsync();
        var ids = new List<Guid>();
        await using (var db = factory.CreateDbContext(tenant.OrganizationId))
        {
            for (var i = 0; i < Schedules; i++)
            {
                var schedule = new ScheduleTriggerOperation
                {
                    OrganizationId = tenant.OrganizationId,
                    Name = $"every ten seconds {i}",
                    Cron = "*/10 * * * * *",
                    TemplateBody = "Tick at <{fire_time}>",
                };
                schedule.SetStatus(TriggerOperationStatus.Active, DateTime.UtcNow);
                db.ScheduleTriggerOperations.Add(schedule);
                ids.Add(schedule.Id);
            }
            await db.SaveChangesAsync();
        }
        var schedulers = new[] { await StartSchedulerAsync(), await StartSchedulerAsync() };
        await using var dataSource = NpgsqlDataSource.Create(factory.ConnectionString);

        // Two slots, from the first one at least a second after both schedulers planned (so both race for it).
        await using var clock = dataSource.CreateCommand("SELECT now()");
        var now = (DateTime)(await clock.ExecuteScalarAsync())!;
        var first = new DateTime((now.AddSeconds(1).Ticks / TimeSpan.TicksPerSecond / 10 + 1) * 10 * TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        var last = first.AddSeconds(10);
        List<(DateTime Slot, long Fires, long Schedules, long Transactions)> slots;
        var deadline = DateTime.UtcNow + (last - now) + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using var command = dataSource.CreateCommand("""
                SELECT fire_time, count(*), count(DISTINCT schedule_trigger_operation_id), count(DISTINCT xmin::text)
                FROM trigger_runs WHERE schedule_trigger_operation_id = ANY($1) AND fire_time BETWEEN $2 AND $3
                GROUP BY fire_time ORDER BY fire_time
                """);
            command.Parameters.AddWithValue(ids.ToArray());
            command.Parameters.AddWithValue(first);
            command.Parameters.AddWithValue(last);
            await using var reader = await command.ExecuteReaderAsync();
            slots = [];
            while (await reader.ReadAsync())
                slots.Add((reader.GetDateTime(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
            if (slots.Sum(s => s.Fires) >= 2 * Schedules || DateTime.UtcNow > deadline)
                break;
            await Task.Delay(200);
        }
        foreach (var scheduler in schedulers)
        {
            await scheduler.StopAsync(CancellationToken.None);
            scheduler.Dispose();
        }

        // Every schedule once per slot, and each slot written by one transaction (one statement of one instance).
        Assert.Equal([(first, (long)Schedules, (long)Schedules, 1L), (last, (long)Schedules, (long)Schedules, 1L)], slots);
        await using var read = dataSource.CreateCommand("SELECT count(*) FROM schedule_trigger_operations WHERE id = ANY($1) AND last_fire_time >= $2");
        read.Parameters.AddWithValue(ids.ToArray());
        read.Parameters.AddWithValue(last);
        Assert.Equal((long)Schedules, (long)(await read.ExecuteScalarAsync())!);
    }
}
