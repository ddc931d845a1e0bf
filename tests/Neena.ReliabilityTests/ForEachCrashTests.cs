using System.Net;
using System.Text.Json.Nodes;
using Neena.Harness;
using Neena.ReliabilityTests.Infrastructure;
using Xunit.Abstractions;

namespace Neena.ReliabilityTests;

/// <summary>
/// A for_each over 200 items with its server SIGKILLed in the middle (issue 20): after a restart every item has a
/// completed call, a completed item is never called again, no item is ever called twice at the same time, and the only
/// items called twice are those that were in flight (recorded in_progress) when the server died: the at-least-once
/// window, at most Engine:MaxConcurrentTasksPerRun items.
/// </summary>
public sealed class ForEachCrashTests(ITestOutputHelper output)
{
    private const int Items = 200;

    [Fact]
    public async Task ForEach_survives_a_killed_server_and_never_repeats_a_completed_item()
    {
        var (host, connectionString) = await SharedPostgres.CreateDatabaseAsync("foreach");
        await using var recorder = await CallRecorder.StartAsync(TimeSpan.FromMilliseconds(150));
        NeenaServerProcess? first = null;
        NeenaServerProcess? second = null;
        try
        {
            var key = await NeenaServerProcess.CreateApiKeyAsync(connectionString, "foreach@example.com");
            first = await Servers.StartAsync(connectionString, "foreach-first", output);
            using var api = new NeenaClient(first.BaseUrl, key);
            var http = await api.TaskDefinitionIdAsync("HTTP Request");
            var flow = NeenaClient.IdOf(await api.PostJsonAsync("api/v1/flows/", new JsonObject
            {
                ["name"] = "for each crash",
                ["task_operations"] = new JsonArray(new JsonObject
                {
                    ["name"] = "post each",
                    ["task_definition"] = http.ToString(),
                    ["index"] = 0,
                    ["for_each"] = "{{request.metadata.items}}",
                    ["parameters"] = new JsonObject
                    {
                        ["method"] = "POST",
                        ["url"] = recorder.CallUrl.ToString(),
                        ["headers"] = new JsonObject { ["X-Op"] = "each" },
                        ["body"] = "{{item}}",
                        ["timeout_seconds"] = 30,
                    },
                }),
            }));
            var texts = Enumerable.Range(0, Items).Select(i => $"item {i:D3}").ToList();
            var request = NeenaClient.IdOf(await api.PostJsonAsync("api/v1/flow_requests/", new JsonObject
            {
                ["request_instructions"] = "Post every item",
                ["request_metadata"] = new JsonArray(new JsonObject { ["items"] = new JsonArray([.. texts.Select(t => (JsonNode)t)]) }),
                ["flow"] = flow.ToString(),
            }));
            var run = await api.CreateRunAsync(flow, request);
            using (var approved = await api.ApproveAsync(run))
                Assert.Equal(HttpStatusCode.OK, approved.StatusCode);

            Assert.True(await Db.WaitUntilAsync(() => Task.FromResult(recorder.Calls.Count >= 40), TimeSpan.FromSeconds(90)),
                $"The engine made no progress before the crash.\n{first.RecentOutput}");
            await first.KillAsync();
            var atCrash = await Db.RowsAsync(connectionString,
                "SELECT i.item_index, i.status FROM task_run_items i JOIN task_runs t ON t.id = i.task_run_id WHERE t.flow_run_id = $1", run);
            var completedAtCrash = atCrash.Where(r => (string)r[1] == "completed").Select(r => texts[(int)r[0]]).ToHashSet();
            var inFlightAtCrash = atCrash.Where(r => (string)r[1] == "in_progress").Select(r => texts[(int)r[0]]).ToHashSet();
            output.WriteLine($"killed after {recorder.Calls.Count} calls: {completedAtCrash.Count} items completed, {inFlightAtCrash.Count} in flight");
            Assert.InRange(completedAtCrash.Count, 1, Items - 1);
            Assert.InRange(inFlightAtCrash.Count, 0, 4); // Engine:MaxConcurrentTasksPerRun

            second = await Servers.StartAsync(connectionString, "foreach-second", output);
            Assert.True(await Db.WaitUntilAsync(async () => await Db.UnfinishedAsync(connectionString, [run]) == 0, TimeSpan.FromSeconds(240)),
                $"The run did not finish after the restart: {await Db.DescribeAsync(connectionString, [run])}\n{second.RecentOutput}");

            using var api2 = new NeenaClient(second.BaseUrl, key);
            var done = await api2.GetRunAsync(run);
            Assert.Equal("completed", done["status"]!.GetValue<string>());
            var task = done["task_runs"]![0]!;
            Assert.Equal(Items, task["result"]!.AsArray().Count);
            Assert.All(task["items"]!.AsArray(), i => Assert.Equal("completed", i!["status"]!.GetValue<string>()));

            Assert.Empty(recorder.Overlaps);
            var completedCalls = recorder.Calls.Where(c => !c.Aborted).GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Count());
            foreach (var text in texts)
            {
                var count = completedCalls.GetValueOrDefault($"{text}#each");
                Assert.True(count >= 1, $"{text} has no completed call");
                if (completedAtCrash.Contains(text))
                    Assert.True(recorder.Calls.Count(c => c.Key == $"{text}#each") == 1, $"{text} completed before the crash and was called again");
                else if (count > 1)
                    Assert.True(inFlightAtCrash.Contains(text), $"{text} has {count} completed calls but was not in flight at the crash");
            }
            var twice = completedCalls.Count(c => c.Value > 1);
            output.WriteLine($"{recorder.Calls.Count} calls for {Items} items; {twice} items with two completed calls (in flight at the crash)");
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
