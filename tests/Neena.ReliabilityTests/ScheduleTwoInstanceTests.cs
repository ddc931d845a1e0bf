using System.Globalization;
using System.Text.Json.Nodes;
using Neena.Domain.Triggers;
using Neena.Harness;
using Neena.ReliabilityTests.Infrastructure;
using Xunit.Abstractions;

namespace Neena.ReliabilityTests;

/// <summary>
/// Issue 21's acceptance for schedules, with two real server processes on one database: a schedule every 10 s for 2
/// minutes makes exactly one trigger run per fire time with no gaps; after both are stopped for 30 s and restarted,
/// <c>run_once</c> fires once for the missed slots and <c>skip</c> none.
/// </summary>
public sealed class ScheduleTwoInstanceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Slot = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Two_instances_fire_each_slot_once_without_gaps_and_after_downtime_run_once_fires_once_and_skip_none()
    {
        var (host, connectionString) = await SharedPostgres.CreateDatabaseAsync("schedules");
        NeenaServerProcess? a = null, b = null;
        try
        {
            const string email = "schedules@example.com";
            var key = await NeenaServerProcess.CreateApiKeyAsync(connectionString, email);
            a = await NeenaServerProcess.StartAsync(connectionString, "schedule-a", Servers.Settings(), log: line => Servers.TryWrite(output, line));
            b = await NeenaServerProcess.StartAsync(connectionString, "schedule-b", Servers.Settings(), log: line => Servers.TryWrite(output, line));
            using var api = new NeenaClient(a.BaseUrl, key);
            var echo = await api.TaskDefinitionIdAsync("Echo");
            var flow = await api.CreateFlowAsync("echo", [new FlowOperation(0, "echo", echo, new JsonObject { ["message"] = "{{request.instructions}}" })], []);

            var every10 = await CreateAsync(api, "every 10 s", "*/10 * * * * *", "run_once", flow);
            var started = DateTime.UtcNow;
            await Task.Delay(TimeSpan.FromMinutes(2));
            var ended = DateTime.UtcNow;

            // Exactly one trigger run per slot (the key allows no other), and no slot left out between the first and the last.
            var fires = await FireTimesAsync(connectionString, every10);
            output.WriteLine($"{fires.Count} fires from {fires[0]:o} to {fires[^1]:o}");
            Assert.True(fires[0] <= started + Slot + Slot, $"first fire {fires[0]:o}, schedule created {started:o}");
            Assert.True(fires[^1] >= ended - Slot - Slot, $"last fire {fires[^1]:o}, phase ended {ended:o}");
            Assert.All(fires.Zip(fires.Skip(1)), p => Assert.Equal(Slot, p.Second - p.First));
            Assert.InRange(fires.Count, 11, 13);
            // Both instances processed them, each into exactly one run.
            Assert.True(await Db.WaitUntilAsync(async () => await Db.CountAsync(connectionString,
                "SELECT count(*) FROM trigger_runs WHERE schedule_trigger_operation_id = $1 AND status <> 'completed'", every10) == 0, TimeSpan.FromSeconds(60)));
            Assert.Equal(0, await Db.CountAsync(connectionString, """
                SELECT count(*) FROM trigger_runs t WHERE t.schedule_trigger_operation_id = $1
                AND (SELECT count(*) FROM flow_runs r WHERE r.id = t.flow_run_id) <> 1
                """, every10));
            Assert.Equal(await Db.CountAsync(connectionString, "SELECT count(*) FROM trigger_runs WHERE schedule_trigger_operation_id = $1", every10),
                await Db.CountAsync(connectionString, "SELECT count(*) FROM flow_runs WHERE triggered_by = $1", $"schedule:{every10}"));

            // Two schedules whose only slots fall while both servers are down: 10 s apart, the first a few seconds after the stop.
            var stopAt = DateTime.UtcNow.AddSeconds(3);
            var first = new DateTime(stopAt.Ticks - stopAt.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc).AddSeconds(6);
            DateTime[] missed = [first, first + Slot, first + Slot + Slot];
            var cron = CronFor(missed);
            var runOnce = await CreateAsync(api, "run once", cron, "run_once", flow);
            var skip = await CreateAsync(api, "skip", cron, "skip", flow);
            var lastBefore = (await FireTimesAsync(connectionString, every10))[^1];
            await a.KillAsync();
            await b.KillAsync();
            var stopped = DateTime.UtcNow;
            Assert.True(stopped < first - TimeSpan.FromSeconds(1), $"the servers stopped at {stopped:o}, after the first slot to miss {first:o}");
            output.WriteLine($"stopped at {stopped:o}; slots to miss: {string.Join(", ", missed.Select(m => m.ToString("o")))}");

            var restartAt = stopped + TimeSpan.FromSeconds(30);
            // Past the on-time tolerance of the last slot to miss, or a scheduler that is up quickly fires it as on time
            // (skip included), which is what the tolerance is for, not a missed slot.
            var lateEnough = missed[^1] + CronSchedule.OnTimeTolerance + TimeSpan.FromSeconds(1);
            if (restartAt < lateEnough)
                restartAt = lateEnough;
            await Task.Delay(restartAt - DateTime.UtcNow);
            var restarted = DateTime.UtcNow;
            a = await NeenaServerProcess.StartAsync(connectionString, "schedule-a2", Servers.Settings(), log: line => Servers.TryWrite(output, line));
            b = await NeenaServerProcess.StartAsync(connectionString, "schedule-b2", Servers.Settings(), log: line => Servers.TryWrite(output, line));

            // run_once: one fire, at the latest missed slot, for all three.
            // Later combinations of the expression's fields may fire on time after the restart; only the missed window counts.
            async Task<List<DateTime>> InWindowAsync(Guid schedule) => [.. (await FireTimesAsync(connectionString, schedule)).Where(t => t <= missed[^1])];
            Assert.True(await Db.WaitUntilAsync(async () => (await InWindowAsync(runOnce)).Count > 0, TimeSpan.FromSeconds(60)),
                "the run_once schedule did not fire after the restart");
            // The every-10-s schedule has fired on time since the restart: both schedulers have planned every schedule by now.
            Assert.True(await Db.WaitUntilAsync(async () => (await FireTimesAsync(connectionString, every10))[^1] > restarted, TimeSpan.FromSeconds(60)));
            Assert.Equal([missed[^1]], await InWindowAsync(runOnce));
            Assert.Empty(await InWindowAsync(skip));
            // The every-10-s schedule (run_once) fired at most once for the slots of its own downtime.
            var resumed = await FireTimesAsync(connectionString, every10);
            Assert.True(resumed.Count(t => t > lastBefore && t < restarted) <= 1, string.Join(", ", resumed.Select(t => t.ToString("o"))));
            Assert.True(await Db.WaitUntilAsync(async () => await Db.CountAsync(connectionString,
                "SELECT count(*) FROM trigger_runs WHERE schedule_trigger_operation_id = $1 AND fire_time = $2 AND status = 'completed'", runOnce, missed[^1]) == 1, TimeSpan.FromSeconds(60)));
        }
        finally
        {
            if (a is not null)
                await a.DisposeAsync();
            if (b is not null)
                await b.DisposeAsync();
            await host.DropDatabaseAsync(connectionString);
        }
    }

    private static async Task<Guid> CreateAsync(NeenaClient api, string name, string cron, string missedFires, Guid flow)
    {
        var created = await api.PostJsonAsync("api/v1/schedule_trigger_operations/", new JsonObject
        {
            ["name"] = name,
            ["cron"] = cron,
            ["template_body"] = "Report <{schedule_name}> at <{fire_time}>",
            ["flow"] = flow.ToString(),
            ["status"] = "active",
            ["missed_fires"] = missedFires,
        });
        return Guid.Parse(created["id"]!.GetValue<string>());
    }

    private static async Task<List<DateTime>> FireTimesAsync(string connectionString, Guid schedule) =>
        (await Db.RowsAsync(connectionString, "SELECT fire_time FROM trigger_runs WHERE schedule_trigger_operation_id = $1 ORDER BY fire_time", schedule))
        .Select(r => DateTime.SpecifyKind((DateTime)r[0], DateTimeKind.Utc)).ToList();

    /// <summary>
    /// A 6-field UTC cron expression firing at these instants (less than a minute apart) and otherwise only a year later: each
    /// field lists the values the instants have. The combinations it adds lie at least a minute away from them.
    /// </summary>
    private static string CronFor(DateTime[] times)
    {
        static string Values(IEnumerable<int> values) => string.Join(',', values.Distinct().Order().Select(v => v.ToString(CultureInfo.InvariantCulture)));
        return $"{Values(times.Select(t => t.Second))} {Values(times.Select(t => t.Minute))} {Values(times.Select(t => t.Hour))} " +
               $"{Values(times.Select(t => t.Day))} {Values(times.Select(t => t.Month))} *";
    }
}
