using System.Net;
using System.Text.Json.Nodes;
using Neena.Harness;
using Neena.ReliabilityTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Neena.ReliabilityTests;

/// <summary>
/// PostgreSQL stopped (<c>pg_ctl stop -m fast</c>) in the middle of a batch of runs and started again a few seconds later:
/// the server recovers by itself (<c>/health/ready</c> is 200 again) and every run completes. Needs a cluster this test can stop,
/// so it always uses a throwaway local cluster, and is skipped when PostgreSQL's binaries are not installed.
/// </summary>
public sealed class DatabaseRestartTests(ITestOutputHelper output)
{
    private const int Runs = 40;

    [LocalPostgresFact]
    public async Task Server_and_runs_recover_after_the_database_restarts()
    {
        await using var postgres = await PostgresHost.StartLocalAsync("dbrestart");
        var connectionString = await postgres.CreateDatabaseAsync("neena_rel_dbrestart");
        NeenaServerProcess? server = null;
        try
        {
            var key = await NeenaServerProcess.CreateApiKeyAsync(connectionString, "dbrestart@example.com");
            server = await Servers.StartAsync(connectionString, "dbrestart", output, maxConcurrentRuns: 10);
            using var api = new NeenaClient(server.BaseUrl, key);

            var echo = await api.TaskDefinitionIdAsync("Echo");
            var wait = await api.TaskDefinitionIdAsync("Wait");
            var flow = await api.CreateFlowAsync("db restart flow",
            [
                new FlowOperation(0, "echo a", echo, new JsonObject { ["message"] = "a" }),
                new FlowOperation(1, "wait a", wait, new JsonObject { ["seconds"] = 1 }),
                new FlowOperation(2, "echo b", echo, new JsonObject { ["message"] = "b" }),
                new FlowOperation(3, "wait b", wait, new JsonObject { ["seconds"] = 1 }),
            ], NeenaClient.Chain(4));
            var request = await api.CreateFlowRequestAsync("database restart test");
            var runs = await NeenaClient.ForEachAsync(Enumerable.Range(0, Runs).ToList(), 8, (_, _) => api.CreateRunAsync(flow, request));
            var approvals = await NeenaClient.ForEachAsync(runs, 8, async (run, _) =>
            {
                using var response = await api.ApproveAsync(run);
                return response.StatusCode;
            });
            Assert.All(approvals, s => Assert.Equal(HttpStatusCode.OK, s));

            Assert.True(await Db.WaitUntilAsync(async () => await Db.CountAsync(connectionString,
                    "SELECT count(*) FROM task_runs WHERE flow_run_id = ANY($1) AND status = 'completed'", runs) >= 10, TimeSpan.FromSeconds(60)),
                "The engine made no progress before the outage.");

            output.WriteLine("stopping PostgreSQL");
            await postgres.StopServerAsync();
            NpgsqlConnection.ClearAllPools();
            var notReady = await Db.WaitUntilAsync(async () => !await server.IsReadyAsync(), TimeSpan.FromSeconds(30));
            Assert.True(notReady, "/health/ready stayed 200 while the database was down.");
            await Task.Delay(TimeSpan.FromSeconds(5));
            Assert.False(server.HasExited, $"The server exited during the outage:\n{server.RecentOutput}");

            output.WriteLine("starting PostgreSQL again");
            await postgres.StartServerAsync();
            NpgsqlConnection.ClearAllPools();

            Assert.True(await Db.WaitUntilAsync(() => server.IsReadyAsync(), TimeSpan.FromSeconds(60)),
                $"/health/ready did not return to 200 after the database came back.\n{server.RecentOutput}");

            var done = await Db.WaitUntilAsync(async () => await Db.UnfinishedAsync(connectionString, runs) == 0, TimeSpan.FromSeconds(180));
            Assert.True(done, $"Not every run finished after the outage: {await Db.DescribeAsync(connectionString, runs)}\n{server.RecentOutput}");

            var statuses = await NeenaClient.ForEachAsync(runs, 8, async (run, _) => (await api.GetRunAsync(run))["status"]!.GetValue<string>());
            Assert.True(statuses.All(s => s == "completed"), await Db.DescribeAsync(connectionString, runs));
            var results = await Db.RowsAsync(connectionString,
                "SELECT r.id, count(f.id) FROM flow_runs r LEFT JOIN flow_results f ON f.flow_run_id = r.id WHERE r.id = ANY($1) GROUP BY r.id", runs);
            Assert.All(results, r => Assert.Equal(1L, Convert.ToInt64(r[1], System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Equal(0, await Db.CountAsync(connectionString,
                "SELECT count(*) FROM task_runs WHERE flow_run_id = ANY($1) AND status <> 'completed'", runs));
        }
        finally
        {
            if (server is not null)
                await server.DisposeAsync();
        }
    }
}
