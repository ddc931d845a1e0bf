using System.Collections.Concurrent;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.FlowRuns;

/// <summary>Run transitions racing edits of their flow, through the API as clients would send them (the engine is off).</summary>
public sealed class FlowRunRaceTests(EngineOffFactory factory) : IClassFixture<EngineOffFactory>
{
    /// <summary>Two versions of one flow with the same indexes: names and dependencies tell them apart.</summary>
    private static object Version(string name, Guid definition, bool forward) => new
    {
        name,
        task_operations = Enumerable.Range(0, 3).Select(i => new { name = $"{name}-{i}", task_definition = definition, index = i, parameters = new { message = "m" } }).ToArray(),
        dependencies = (forward ? new[] { (0, 1), (1, 2) } : [(2, 1), (1, 0)])
            .Select(d => new { source_task_operation = d.Item1, target_task_operation = d.Item2 }).ToArray(),
    };

    [Fact]
    public async Task Approve_RacingFlowReplacements_EachRunCopiesExactlyOneVersion()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = (await (await client.PostJsonAsync("/api/v1/flows/", Version("v1", echo, forward: true))).ReadJsonAsync())["id"]!.GetValue<string>();
        var request = (await (await client.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Race the flow edits." })).ReadJsonAsync())["id"]!.GetValue<string>();
        var runs = new List<string>();
        for (var i = 0; i < 120; i++)
            runs.Add((await (await client.PostJsonAsync("/api/v1/flow_runs/", new { flow, flow_request = request })).ReadJsonAsync())["id"]!.GetValue<string>());

        using var done = new CancellationTokenSource();
        var edits = 0;
        var editor = Task.Run(async () =>
        {
            var forward = false;
            while (!done.IsCancellationRequested)
            {
                var body = Version(forward ? "v1" : "v2", echo, forward);
                var response = await client.PutAsync("/api/v1/flows/", JsonContent(body, flow));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                forward = !forward;
                Interlocked.Increment(ref edits);
            }
        });
        // Approvals go in waves of six, each after at least one more edit: with a fast request path all 120 could
        // otherwise finish while the editor is still on its first few edits (it happened in CI), racing nothing.
        foreach (var wave in runs.Chunk(6))
        {
            var before = Volatile.Read(ref edits);
            while (Volatile.Read(ref edits) == before && !editor.IsCompleted)
                await Task.Delay(1);
            await Task.WhenAll(wave.Select(async run =>
            {
                var response = await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={run}", null);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }));
        }
        await done.CancelAsync();
        await editor;
        Assert.True(edits >= 20, $"only {edits} edits raced the approvals");

        await using var db = factory.CreateDbContext();
        var ids = runs.Select(Guid.Parse).ToList();
        var taskRuns = await db.TaskRuns.IgnoreQueryFilters().Where(t => ids.Contains(t.FlowRunId)).ToListAsync();
        var mixed = new List<string>();
        foreach (var run in taskRuns.GroupBy(t => t.FlowRunId))
        {
            var names = run.Select(t => t.OperationName.Split('-')[0]).Distinct().ToList();
            var version = names.Count == 1 ? names[0] : "mixed";
            var expected = version == "v1"
                ? new Dictionary<int, int[]> { [0] = [], [1] = [0], [2] = [1] }
                : new Dictionary<int, int[]> { [0] = [1], [1] = [2], [2] = [] };
            var consistent = names.Count == 1 && run.Count() == 3
                && run.All(t => t.DependsOn.SequenceEqual(expected[t.TaskOperationIndex]) && t.OperationName == $"{version}-{t.TaskOperationIndex}");
            if (!consistent)
                mixed.Add($"{run.Key}: {string.Join(", ", run.OrderBy(t => t.TaskOperationIndex).Select(t => $"{t.OperationName} after [{string.Join(',', t.DependsOn)}]"))}");
        }
        Assert.Equal(runs.Count, taskRuns.Select(t => t.FlowRunId).Distinct().Count());
        Assert.True(mixed.Count == 0, $"{mixed.Count} run(s) copied a mix of two versions:\n{string.Join('\n', mixed.Take(5))}");
    }

    [Fact]
    public async Task Delete_RacingRunCreation_NeverLeavesAnOpenRunOnADeletedFlow()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var request = (await (await client.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Race the deletion." })).ReadJsonAsync())["id"]!.GetValue<string>();
        var outcomes = new ConcurrentBag<string>();
        var flows = new List<string>();

        for (var round = 0; round < 40; round++)
        {
            var flow = (await (await client.PostJsonAsync("/api/v1/flows/", Version($"f{round}", echo, forward: true))).ReadJsonAsync())["id"]!.GetValue<string>();
            flows.Add(flow);
            // A sweep of head starts, for the creations in even rounds and for the deletion in odd ones: the requests' own
            // speed decides who wins an even start, and with it alone one side could win every round (it did, once the
            // request path got faster), so the sweep makes sure both outcomes and the overlaps between them happen.
            var headStart = TimeSpan.FromMilliseconds(round / 2 % 8 * 2);
            var creationsWait = round % 2 == 0 ? headStart : TimeSpan.Zero;
            var deletionWait = round % 2 == 1 ? headStart : TimeSpan.Zero;
            var creations = Enumerable.Range(0, 3).Select(i => Task.Run(async () =>
            {
                await Task.Delay(creationsWait);
                var response = await client.PostJsonAsync("/api/v1/flow_runs/", i == 0
                    ? new { flow, flow_request = request, approval_status = "approved" }
                    : (object)new { flow, flow_request = request });
                // Created, or refused because the flow is gone: never a 500.
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.UnprocessableEntity, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                outcomes.Add("create " + (int)response.StatusCode);
            }));
            var deletion = Task.Run(async () =>
            {
                await Task.Delay(deletionWait);
                var response = await client.DeleteAsync($"/api/v1/flows/?id={flow}");
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                outcomes.Add("delete " + (int)response.StatusCode);
            });
            await Task.WhenAll([.. creations, deletion]);
        }

        await using var db = factory.CreateDbContext();
        var ids = flows.Select(Guid.Parse).ToList();
        var broken = await db.Flows.IgnoreQueryFilters()
            .Where(f => ids.Contains(f.Id) && f.DeletedAt != null)
            .Where(f => db.FlowRuns.IgnoreQueryFilters().Any(r => r.FlowId == f.Id && (r.Status == RunStatus.Pending || r.Status == RunStatus.InProgress)))
            .Select(f => f.Id)
            .ToListAsync();
        var summary = string.Join(", ", outcomes.GroupBy(o => o).Select(g => $"{g.Key}: {g.Count()}"));
        Assert.True(broken.Count == 0, $"{broken.Count} deleted flow(s) still have open runs ({summary})");
        // Both outcomes happened, so the test really raced.
        Assert.Contains("delete 200", outcomes);
        Assert.Contains("delete 409", outcomes);
    }

    private static StringContent JsonContent(object body, string id)
    {
        var node = System.Text.Json.JsonSerializer.SerializeToNode(body, System.Text.Json.JsonSerializerOptions.Web)!.AsObject();
        node["id"] = id;
        return JsonHelpers.RawJson(node.ToJsonString());
    }
}
