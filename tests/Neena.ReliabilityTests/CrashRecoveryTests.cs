using System.Net;
using System.Text.Json.Nodes;
using Neena.Harness;
using Neena.ReliabilityTests.Infrastructure;
using Xunit.Abstractions;

namespace Neena.ReliabilityTests;

/// <summary>
/// A server killed with SIGKILL in the middle of 100 runs: a restarted server takes the runs over once their leases expire,
/// every run completes, no task run is ever executed twice at the same time, and every run has exactly one flow result.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int Runs = 100;

    [Fact]
    public async Task Runs_survive_a_killed_server_without_concurrent_double_execution_or_loss()
    {
        var (host, connectionString) = await SharedPostgres.CreateDatabaseAsync("crash");
        await using var recorder = await CallRecorder.StartAsync(TimeSpan.FromMilliseconds(500));
        NeenaServerProcess? first = null;
        NeenaServerProcess? second = null;
        try
        {
            var key = await NeenaServerProcess.CreateApiKeyAsync(connectionString, "crash@example.com");
            first = await Servers.StartAsync(connectionString, "crash-first", output, maxConcurrentRuns: 25);
            using var api = new NeenaClient(first.BaseUrl, key);

            var wait = await api.TaskDefinitionIdAsync("Wait");
            var http = await api.TaskDefinitionIdAsync("HTTP Request");
            JsonObject Call(string op) => new()
            {
                ["method"] = "POST",
                ["url"] = recorder.CallUrl.ToString(),
                ["headers"] = new JsonObject { ["X-Op"] = op },
                ["body"] = "{{request.instructions}}",
                ["timeout_seconds"] = 30,
            };
            var flow = await api.CreateFlowAsync("crash flow",
            [
                new FlowOperation(0, "wait a", wait, new JsonObject { ["seconds"] = 1 }),
                new FlowOperation(1, "call a", http, Call("1")),
                new FlowOperation(2, "wait b", wait, new JsonObject { ["seconds"] = 1 }),
                new FlowOperation(3, "call b", http, Call("3")),
            ], NeenaClient.Chain(4));

            var instructions = Enumerable.Range(0, Runs).Select(i => $"crash run {i:D3}").ToList();
            var runs = await NeenaClient.ForEachAsync(instructions, 8, async (text, _) =>
                await api.CreateRunAsync(flow, await api.CreateFlowRequestAsync(text)));
            var approvals = await NeenaClient.ForEachAsync(runs, 8, async (run, _) =>
            {
                using var response = await api.ApproveAsync(run);
                return response.StatusCode;
            });
            Assert.All(approvals, s => Assert.Equal(HttpStatusCode.OK, s));

            // Kill once work is really under way: some calls made, most runs still unfinished.
            Assert.True(await Db.WaitUntilAsync(() => Task.FromResult(recorder.Calls.Count >= 10), TimeSpan.FromSeconds(90)),
                $"The engine made no progress before the crash.\n{first.RecentOutput}");
            await first.KillAsync();
            var unfinishedAtCrash = await Db.UnfinishedAsync(connectionString, runs);
            output.WriteLine($"killed the first server after {recorder.Calls.Count} calls; {unfinishedAtCrash} runs unfinished");
            Assert.True(unfinishedAtCrash > 0, "Every run had finished before the crash; the test proved nothing.");

            second = await Servers.StartAsync(connectionString, "crash-second", output, maxConcurrentRuns: 25);
            var done = await Db.WaitUntilAsync(async () => await Db.UnfinishedAsync(connectionString, runs) == 0, TimeSpan.FromSeconds(240));
            Assert.True(done, $"Not every run finished after the restart: {await Db.DescribeAsync(connectionString, runs)}\n{second.RecentOutput}");

            // Every run completed, through the API as a client sees it.
            using var api2 = new NeenaClient(second.BaseUrl, key);
            var statuses = await NeenaClient.ForEachAsync(runs, 8, async (run, _) => (await api2.GetRunAsync(run))["status"]!.GetValue<string>());
            Assert.All(statuses, s => Assert.Equal("completed", s));

            // Every task run completed, each with at least one attempt.
            var badTasks = await Db.CountAsync(connectionString,
                "SELECT count(*) FROM task_runs WHERE flow_run_id = ANY($1) AND (status <> 'completed' OR attempt < 1)", runs);
            Assert.Equal(0, badTasks);
            Assert.Equal(4 * Runs, await Db.CountAsync(connectionString, "SELECT count(*) FROM task_runs WHERE flow_run_id = ANY($1)", runs));

            // Nothing lost, nothing doubled: exactly one flow result per run.
            var results = await Db.RowsAsync(connectionString,
                "SELECT r.id, count(f.id) FROM flow_runs r LEFT JOIN flow_results f ON f.flow_run_id = r.id WHERE r.id = ANY($1) GROUP BY r.id", runs);
            Assert.Equal(Runs, results.Count);
            Assert.All(results, r => Assert.Equal(1L, Convert.ToInt64(r[1], System.Globalization.CultureInfo.InvariantCulture)));

            // Never two executions of one task run at the same time (at-least-once is allowed, concurrently never).
            Assert.Empty(recorder.Overlaps);
            var calls = recorder.Calls;
            var completedKeys = calls.Where(c => !c.Aborted).Select(c => c.Key).ToHashSet();
            var expectedKeys = instructions.SelectMany(i => new[] { $"{i}#1", $"{i}#3" }).ToList();
            Assert.All(expectedKeys, k => Assert.Contains(k, completedKeys));
            var repeated = calls.GroupBy(c => c.Key).Count(g => g.Count() > 1);
            var retriedTasks = await Db.CountAsync(connectionString, "SELECT count(*) FROM task_runs WHERE flow_run_id = ANY($1) AND attempt > 1", runs);
            output.WriteLine($"{calls.Count} calls for {expectedKeys.Count} HTTP task runs; {repeated} executed more than once (after the crash); {retriedTasks} task runs with attempt > 1");
        }
        finally
        {
            if (first is not null)
                await first.DisposeAsync();
            if (second is not null)
                await second.DisposeAsync();
            await host.DropDatabaseAsync(connectionString);
        }
    }
}
