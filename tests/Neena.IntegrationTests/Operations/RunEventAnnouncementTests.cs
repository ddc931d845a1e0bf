using System.Net;
using Neena.IntegrationTests.Infrastructure;
using Neena.Persistence;
using Npgsql;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Operations;

/// <summary>A server of its own, on which no stream was ever opened before the test's.</summary>
public sealed class FreshRunEventsFactory : RunEventsFactory
{
    protected override string HeartbeatSeconds => "3600";
}

/// <summary>
/// Run status changes are announced only while some instance has a stream open (issue 23: every announcement wakes every
/// listening session of the database, a transaction each); a stream that opens misses no change for it.
/// The heartbeat is an hour away, so whatever a stream shows after its first read reached it through a notification.
/// </summary>
public sealed class RunEventAnnouncementTests(NotificationOnlyRunEventsFactory factory, FreshRunEventsFactory fresh)
    : IClassFixture<NotificationOnlyRunEventsFactory>, IClassFixture<FreshRunEventsFactory>
{
    [Fact]
    public async Task Changes_are_announced_only_while_a_stream_is_open()
    {
        var (client, runId) = await PendingRunAsync(factory);
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        await using var listener = await db.OpenConnectionAsync();
        var heard = new List<string>();
        listener.Notification += (_, e) => heard.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN {FlowRunNotifications.Events}", listener))
            await listen.ExecuteNonQueryAsync();
        Assert.Equal(0, await RegistrationsAsync(db));

        // Approval makes the task runs and moves the run: announced to nobody, as nobody streams.
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={runId}", null)).StatusCode);
        await NotifyAsync(db, "sentinel");
        while (!heard.Contains("sentinel"))
            Assert.True(await listener.WaitAsync(TimeSpan.FromSeconds(10)), "the sentinel never came");
        Assert.Equal(["sentinel"], heard);

        var (status, stream, _) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={runId}");
        Assert.Equal(HttpStatusCode.OK, status);
        await using var sse = stream!;
        Assert.Equal(1, await RegistrationsAsync(db));
        Assert.Equal("task_run", (await sse.NextAsync(TimeSpan.FromSeconds(10)))!.Event);
        await ExecuteAsync(db, $"UPDATE flow_runs SET status = 'cancelled', end_time = now() WHERE id = '{runId}'");

        // Announced now: heard by this session, and by the stream, which would otherwise wait an hour for its heartbeat.
        var events = await sse.ToEndAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("end", events[^1].Event);
        Assert.Equal("cancelled", events[^1].Json["status"]!.GetValue<string>());
        while (!heard.Any(p => p.EndsWith(":cancelled", StringComparison.Ordinal)))
            Assert.True(await listener.WaitAsync(TimeSpan.FromSeconds(10)), "the change was not announced while a stream was open");
    }

    [Fact]
    public async Task A_change_that_looked_before_the_first_stream_registered_is_in_that_streams_first_read()
    {
        var (client, runId) = await PendingRunAsync(fresh);
        await using var db = NpgsqlDataSource.Create(fresh.ConnectionString);
        Assert.Equal(0, await RegistrationsAsync(db));

        // The change runs its trigger (nobody registered: not announced) and stays uncommitted while the stream opens.
        await using var changer = await db.OpenConnectionAsync();
        await using var transaction = await changer.BeginTransactionAsync();
        await using (var change = new NpgsqlCommand($"UPDATE flow_runs SET status = 'cancelled', end_time = now() WHERE id = '{runId}'", changer, transaction))
            Assert.Equal(1, await change.ExecuteNonQueryAsync());

        var opening = SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={runId}");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (await RegistrationsAsync(db) == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal(1, await RegistrationsAsync(db));
        // The stream's first read (after which its answer starts) waits for this transaction, which looked before the
        // registration was visible: read earlier, it would show the run pending and never hear of the change.
        await Task.WhenAny(opening, Task.Delay(TimeSpan.FromSeconds(2)));
        Assert.False(opening.IsCompleted, "the stream read the run before a change that looked for streams earlier had committed");
        await transaction.CommitAsync();

        var (status, stream, _) = await opening;
        Assert.Equal(HttpStatusCode.OK, status);
        await using var sse = stream!;
        var events = await sse.ToEndAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["run", "end"], events.Select(e => e.Event));
        Assert.Equal("cancelled", events[0].Json["status"]!.GetValue<string>());
    }

    private static async Task<(HttpClient Client, string RunId)> PendingRunAsync(RunEventsFactory factory)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.Http(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "announced", [new Engine.Op(0, echo, new { message = "one" })]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow), approved: false);
        return (client, runId);
    }

    private static async Task<long> RegistrationsAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM run_event_listeners WHERE expires_at > now()");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task NotifyAsync(NpgsqlDataSource db, string payload)
    {
        await using var command = db.CreateCommand("SELECT pg_notify($1, $2)");
        command.Parameters.AddWithValue(FlowRunNotifications.Events);
        command.Parameters.AddWithValue(payload);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
