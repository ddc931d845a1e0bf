using System.Net;
using System.Text.Json.Nodes;
using Neena.Domain.Common;
using Neena.IntegrationTests.Infrastructure;
using Npgsql;

namespace Neena.IntegrationTests.FlowRuns;

/// <summary>
/// The flow result's body is written from the stored results as they are streamed (issue 23), no longer from nodes
/// parsed from their text: it must stay the same text, byte for byte, whatever the results hold.
/// </summary>
public sealed class FlowResultBodyTests(EngineOffFactory factory) : IClassFixture<EngineOffFactory>
{
    [Fact]
    public async Task EndingARun_ResultsOfEveryKind_BodyIsWhatComposingParsedResultsGave()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        // 0 -> 1; 1 to 5 are final.
        var operations = Enumerable.Range(0, 6).Select(i => new { name = $"op {i} «é»", task_definition = echo, index = i, parameters = new { message = $"m{i}" } }).ToArray();
        var flow = await (await client.PostJsonAsync("/api/v1/flows/", new { name = "Results", task_operations = operations, dependencies = new[] { new { source_task_operation = 0, target_task_operation = 1 } } })).ReadJsonAsync();
        var request = await (await client.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Please run the flow." })).ReadJsonAsync();
        var run = await (await client.PostJsonAsync("/api/v1/flow_runs/", new { flow = flow["id"]!.GetValue<string>(), flow_request = request["id"]!.GetValue<string>(), status = "pending", approval_status = (string?)null, triggered_time = (DateTime?)null, end_time = (DateTime?)null, triggered_by = (string?)null })).ReadJsonAsync();
        var runId = Guid.Parse(run["id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={runId}", null)).StatusCode);

        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var results = new NpgsqlCommand("""
                UPDATE task_runs t SET status = v.status, result = v.result::jsonb, error = v.error
                FROM (VALUES
                    (0, 'completed', '{"hidden": "not final"}', NULL),
                    (1, 'completed', '{"s": "é中😀 <>&''\"\\\n\u0001+`", "n": [1.50, 1e2, -0, 12345678901234567890, 0.000001], "b": true, "z": null, "nested": {"a": [{}, []]}, "ключ": "значение"}', NULL),
                    (2, 'failed', '{"payload": ' || repeat('[', 200) || repeat(']', 200) || '}', 'boom "quoted" <b>'),
                    (3, 'completed', '"just text"', NULL),
                    (4, 'completed', 'null', NULL)
                ) AS v(index, status, result, error)
                WHERE t.flow_run_id = @run AND t.task_operation_index = v.index
                """, connection);
            results.Parameters.AddWithValue("run", runId);
            Assert.Equal(5, await results.ExecuteNonQueryAsync());
        }

        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={runId}", null)).StatusCode);

        var (body, expected) = await BodyAndOracleAsync(runId, $"The run was cancelled by {tenant.Email}.");
        Assert.Equal(expected, body);
        var parsed = JsonNode.Parse(body, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = JsonDepth.MaxDocument })!;
        Assert.Equal(["1", "2", "3", "4", "5"], parsed["outputs"]!.AsObject().Select(p => p.Key));
        Assert.NotNull(parsed["outputs"]!["2"]!["result"]![JsonDepth.UnreadableProperty]);
        Assert.Null(parsed["outputs"]!["5"]!["result"]);
    }

    /// <summary>
    /// The stored body, and the body as the run's end composed it before (issue 23): each task run's result read as
    /// text, parsed as a node (<see cref="JsonDepth.ParseStored"/>), and the body built of nodes and written.
    /// </summary>
    private async Task<(string Body, string Expected)> BodyAndOracleAsync(Guid runId, string message)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("""
            SELECT task_operation_index, operation_name, status, result::text, error, depends_on,
                   (SELECT status FROM flow_runs WHERE id = @run), (SELECT body FROM flow_results WHERE flow_run_id = @run)
            FROM task_runs WHERE flow_run_id = @run ORDER BY task_operation_index
            """, connection);
        read.Parameters.AddWithValue("run", runId);
        var rows = new List<(int Index, string Name, string Status, string? Result, string? Error, int[] DependsOn)>();
        string? runStatus = null, body = null;
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<int[]>(5)));
                runStatus = reader.GetString(6);
                body = reader.GetString(7);
            }
        }
        var dependedOn = rows.SelectMany(r => r.DependsOn).ToHashSet();
        var outputs = new JsonObject();
        foreach (var final in rows.Where(r => !dependedOn.Contains(r.Index)).OrderBy(r => r.Index))
        {
            outputs[final.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["name"] = final.Name,
                ["status"] = final.Status,
                ["result"] = final.Result is null ? null : JsonDepth.ParseStored(final.Result, out _)?.DeepClone(),
            };
        }
        var errors = new JsonArray(rows.Where(r => r.Error is not null).OrderBy(r => r.Index)
            .Select(r => (JsonNode)new JsonObject { ["task_operation_index"] = r.Index, ["name"] = r.Name, ["error"] = r.Error }).ToArray());
        var expected = new JsonObject { ["status"] = runStatus, ["message"] = message, ["outputs"] = outputs, ["errors"] = errors };
        return (body!, expected.ToJsonString(JsonDepth.SerializerOptions));
    }
}
