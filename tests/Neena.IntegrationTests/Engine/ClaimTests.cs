using Neena.Domain.FlowRuns;
using Neena.Engine;
using Neena.IntegrationTests.Infrastructure;
using Neena.Persistence;
using Neena.Persistence.FlowRuns;
using Npgsql;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Engine;

/// <summary>
/// Claims that take several runs at once, and claims by the id an approval notification names: neither ever takes a run
/// another instance holds, and a notification for a run that cannot be claimed changes nothing.
/// </summary>
public sealed class ClaimTests(NoEngineFactory factory) : IClassFixture<NoEngineFactory>
{
    private static readonly TimeSpan LongLease = TimeSpan.FromMinutes(5);

    private async Task<(HttpClient Client, string Flow, string Request)> EchoFlowAsync(string name)
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, name, [new Op(0, echo, new { message = "hello" })]);
        return (client, flow, await CreateRequestAsync(client, flow));
    }

    private async Task<(string? Owner, int ClaimAttempts, string Status)> LeaseOfAsync(NpgsqlDataSource db, Guid runId)
    {
        await using var command = db.CreateCommand("SELECT lease_owner, claim_attempts, status FROM flow_runs WHERE id = $1");
        command.Parameters.AddWithValue(runId);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt32(1), reader.GetString(2));
    }

    [Fact]
    public async Task A_claim_takes_several_ready_runs_at_once_and_never_one_another_instance_holds()
    {
        var (client, flow, request) = await EchoFlowAsync("claimed together");
        var runs = new List<Guid>();
        for (var i = 0; i < 6; i++)
            runs.Add(Guid.Parse(await CreateRunAsync(client, flow, request)));
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        var a = new RunLease(db, "claim-a", LongLease);
        var b = new RunLease(db, "claim-b", LongLease);

        var first = (await a.ClaimAsync(4, [], CancellationToken.None)).Claimed.Select(c => c.Id).ToList();
        var second = (await b.ClaimAsync(100, [], CancellationToken.None)).Claimed.Select(c => c.Id).ToList();
        var again = (await b.ClaimAsync(100, [], CancellationToken.None)).Claimed;

        Assert.Equal(4, first.Count);
        Assert.Empty(first.Intersect(second));
        Assert.Subset(first.Concat(second).ToHashSet(), runs.ToHashSet());
        Assert.Empty(again);
        foreach (var run in first)
            Assert.Equal(("claim-a", 1, RunStatus.InProgress), await LeaseOfAsync(db, run));

        // A claim by id (what an approval notification starts) of a run another instance holds takes nothing either.
        await using (var batch = db.CreateBatch())
        {
            batch.BatchCommands.Add(b.ClaimOneCommand(first[0]));
            await using var reader = await batch.ExecuteReaderAsync();
            Assert.Null(await RunLease.ReadClaimAsync(reader, CancellationToken.None));
        }
        Assert.Equal(("claim-a", 1, RunStatus.InProgress), await LeaseOfAsync(db, first[0]));

        foreach (var run in first)
            Assert.True(await a.FinishRunAsync(run, RunStatus.Failed, "test over", CancellationToken.None));
        foreach (var run in second)
            Assert.True(await b.FinishRunAsync(run, RunStatus.Failed, "test over", CancellationToken.None));
    }

    [Fact]
    public async Task A_notification_for_a_run_that_is_not_claimable_changes_nothing_and_the_engine_goes_on()
    {
        var (client, flow, request) = await EchoFlowAsync("notified");
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        var other = new RunLease(db, "other-instance", LongLease);
        var held = Guid.Parse(await CreateRunAsync(client, flow, request));
        Assert.Contains(held, (await other.ClaimAsync(100, [], CancellationToken.None)).Claimed.Select(c => c.Id));
        var pending = Guid.Parse(await CreateRunAsync(client, flow, request, approved: false));

        var engine = FlowRunEngine.Create(factory.Services, new EngineOptions
        {
            InstanceId = "engine-notified",
            PollIntervalSeconds = 60, // the notifications, not polling, must drive this engine
            ShutdownGraceSeconds = 0.2,
        });
        await engine.StartAsync(CancellationToken.None);
        try
        {
            await engine.Listening.WaitAsync(TimeSpan.FromSeconds(30));
            foreach (var payload in new[] { held.ToString(), pending.ToString(), Guid.NewGuid().ToString(), "not a run id", "" })
            {
                await using var notify = db.CreateCommand("SELECT pg_notify($1, $2)");
                notify.Parameters.AddWithValue(FlowRunNotifications.Approved);
                notify.Parameters.AddWithValue(payload);
                await notify.ExecuteNonQueryAsync();
            }

            // A real approval after them is still started (from its notification) and completes.
            var real = await CreateRunAsync(client, flow, request);
            var done = await WaitForRunAsync(client, real);
            Assert.Equal(RunStatus.Completed, Status(done));
            for (var i = 0; i < 300 && engine.NotifiedRunsWaiting > 0; i++)
                await Task.Delay(100);
            Assert.Equal(0, engine.NotifiedRunsWaiting);
        }
        finally
        {
            // Stopping waits for the claim loop, so no claim of the notified runs is still under way below.
            await engine.StopAsync(CancellationToken.None);
            engine.Dispose();
        }

        Assert.Equal(("other-instance", 1, RunStatus.InProgress), await LeaseOfAsync(db, held));
        Assert.Equal((null, 0, RunStatus.Pending), await LeaseOfAsync(db, pending));
        await using (var tasks = db.CreateCommand("SELECT count(*) FROM task_runs WHERE flow_run_id = $1 AND (status <> 'pending' OR attempt <> 0)"))
        {
            tasks.Parameters.AddWithValue(held);
            Assert.Equal(0L, (long)(await tasks.ExecuteScalarAsync())!);
        }
        Assert.True(await other.FinishRunAsync(held, RunStatus.Failed, "test over", CancellationToken.None));
    }

    [Fact]
    public async Task A_notified_run_that_cannot_be_read_fails_after_its_attempts_and_the_engine_goes_on()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "unreadable", [new Op(0, echo, new { message = "never" })]);
        var request = await CreateRequestAsync(client, flow);
        var run = Guid.Parse(await CreateRunAsync(client, flow, request, approved: false));
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        // The approval copies the operation's parameters into the task run: a stored value the engine cannot read.
        await using (var corrupt = db.CreateCommand("UPDATE task_operations SET parameters = '[1, 2]'::jsonb WHERE flow_id = $1"))
        {
            corrupt.Parameters.AddWithValue(Guid.Parse(flow));
            Assert.Equal(1, await corrupt.ExecuteNonQueryAsync());
        }

        var engine = FlowRunEngine.Create(factory.Services, new EngineOptions
        {
            InstanceId = "engine-unreadable",
            LeaseSeconds = 1,
            PollIntervalSeconds = 0.2,
            MaxRunAttempts = 2,
            ShutdownGraceSeconds = 0.2,
        });
        await engine.StartAsync(CancellationToken.None);
        try
        {
            await engine.Listening.WaitAsync(TimeSpan.FromSeconds(30));
            var approve = await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={run}", null);
            Assert.True(approve.IsSuccessStatusCode, await approve.Content.ReadAsStringAsync());
            var failed = await WaitForRunAsync(client, run.ToString());
            Assert.Equal(RunStatus.Failed, Status(failed));

            // The claim loop survived: a good run approved afterwards still completes.
            var good = await CreateFlowAsync(client, "readable", [new Op(0, echo, new { message = "fine" })]);
            var done = await WaitForRunAsync(client, await CreateRunAsync(client, good, await CreateRequestAsync(client, good)));
            Assert.Equal(RunStatus.Completed, Status(done));
        }
        finally
        {
            await engine.StopAsync(CancellationToken.None);
            engine.Dispose();
        }
    }
}
