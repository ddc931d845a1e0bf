using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Neena.Api.Contracts.Common;
using Neena.Api.Services;
using Neena.IntegrationTests.Infrastructure;
using Neena.Persistence.FlowRuns;

namespace Neena.IntegrationTests.FlowRuns;

/// <summary>
/// The run reads write their JSON from the rows (issue 23, <c>FlowRunJsonWriter</c>): every variant must answer the very
/// bytes the serializer wrote for the same runs as objects (<c>FlowRunReads.ListAsync</c>/<c>GetAsync</c>), on both surfaces,
/// for task runs with nested, unicode, escaped and large stored JSON, nulls, preparation, errors and for_each items.
/// </summary>
public sealed class FlowRunJsonWriterTests(EngineOffFactory factory) : IClassFixture<EngineOffFactory>
{
    private sealed record World(TestTenant Tenant, HttpClient V1, HttpClient Legacy, Guid Flow, List<Guid> Runs);

    private async Task<World> CreateWorldAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        var v1 = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await (await v1.PostJsonAsync("/api/v1/flows/", new
        {
            name = "Writer",
            task_operations = new[] { new { name = "a<é>", task_definition = echo, index = 0 }, new { name = "b", task_definition = echo, index = 1 }, new { name = "c", task_definition = echo, index = 2 } },
            dependencies = new[] { new { source_task_operation = 0, target_task_operation = 1 }, new { source_task_operation = 1, target_task_operation = 2 } },
        })).ReadJsonAsync();
        var flowId = Guid.Parse(flow["id"]!.GetValue<string>());
        var request = await (await v1.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Please run the flow." })).ReadJsonAsync();
        var runs = new List<Guid>();
        foreach (var (approval, tags) in new[] { ("approved", new[] { "env:prod" }), ("approved", new[] { "a", "b" }), ("approved", Array.Empty<string>()), (null, Array.Empty<string>()) })
        {
            var response = await v1.PostJsonAsync("/api/v1/flow_runs/", new { flow = flowId, flow_request = request["id"]!.GetValue<string>(), approval_status = approval, tags, triggered_by = "Zoë \"<&>\" \u2028" });
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            runs.Add(Guid.Parse((await response.ReadJsonAsync())["id"]!.GetValue<string>()));
        }

        var large = JsonSerializer.Serialize(Enumerable.Range(0, 3000).Select(i => new { i, text = $"line {i} ünïcødé 😀 \"quoted\" \\ <tag>", nested = new { deep = new[] { i, i + 1 } } }));
        await using (var db = factory.CreateDbContext())
        {
            await db.Database.ExecuteSqlRawAsync("""
                UPDATE flow_runs SET status = 'failed', start_time = triggered_time, end_time = triggered_time + interval '1234.5678 milliseconds' WHERE id = {0};
                UPDATE task_runs SET status = 'completed', start_time = now() - interval '3 seconds', end_time = now(), prompt_tokens = 11, completion_tokens = 5,
                    task_prep_prompt = {3}::jsonb, task_prep_answer = {4}::jsonb, result = {1}::jsonb
                  WHERE flow_run_id = {0} AND task_operation_index = 0;
                UPDATE task_runs SET status = 'failed', error = 'boom <&> ünï "q"', continue_on_failure = true, start_time = now() WHERE flow_run_id = {0} AND task_operation_index = 1;
                UPDATE task_runs SET status = 'failed', error = 'second', result = '"just a string"'::jsonb WHERE flow_run_id = {0} AND task_operation_index = 2;
                UPDATE flow_runs SET status = 'completed', start_time = NULL, end_time = created_date + interval '2 seconds' WHERE id = {2};
                UPDATE task_runs SET status = 'failed', error = NULL, continue_on_failure = true, result = '[]'::jsonb WHERE flow_run_id = {2} AND task_operation_index = 0;
                UPDATE task_runs SET status = 'completed', result = '12.5e3'::jsonb, for_each = 'tasks.0.result' WHERE flow_run_id = {2} AND task_operation_index = 1;
                UPDATE task_runs SET for_each = 'request.metadata' WHERE flow_run_id = {2} AND task_operation_index = 2;
                INSERT INTO task_run_items (task_run_id, item_index, organization_id, status, result, error, attempt)
                  SELECT id, 1, organization_id, 'failed', NULL, 'nope <x>', 2 FROM task_runs WHERE flow_run_id = {2} AND task_operation_index = 1
                  UNION ALL SELECT id, 0, organization_id, 'completed', {5}::jsonb, NULL, 1 FROM task_runs WHERE flow_run_id = {2} AND task_operation_index = 1;
                """, runs[0], large, runs[2],
                """{"messages": [{"role": "user", "content": "Héllo <b> \u2028 \"x\""}]}""",
                """{"parameters": [{"name": "text", "value": {"a": [1, 2.50, null, true]}, "explanation": "weil ✓"}]}""",
                """{"b": "ü", "a": [1, {"z": null}]}""");
        }
        return new World(tenant, v1, factory.ClientWithApiKeyHeader(tenant.ApiKey), flowId, runs);
    }

    private JsonSerializerOptions Options =>
        factory.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Mvc.JsonOptions>>().Value.JsonSerializerOptions;

    /// <summary>The serializer's bytes for what the object reads return, as the answers were written before.</summary>
    private async Task<string> ObjectsAsync(World w, int skip = 0, int limit = 100, FlowRunListFilter? filter = null)
    {
        await using var db = factory.CreateDbContext(w.Tenant.OrganizationId);
        var runs = await FlowRunReads.ListAsync(db, new PageQuery { Skip = skip, Limit = limit }, filter ?? new FlowRunListFilter([]), CancellationToken.None);
        return Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(runs, Options));
    }

    private async Task<string> ObjectAsync(World w, Guid id)
    {
        await using var db = factory.CreateDbContext(w.Tenant.OrganizationId);
        return Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(await FlowRunReads.GetAsync(db, id, CancellationToken.None), Options));
    }

    private static async Task<string> BodyAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return body;
    }

    [Fact]
    public async Task Lists_AnswerTheSerializersBytes_ForEveryVariant_OnBothSurfaces()
    {
        var w = await CreateWorldAsync();
        var all = await ObjectsAsync(w);
        Assert.Contains("😀", all, StringComparison.Ordinal);
        Assert.Contains("\"items\":[{\"index\":0", all, StringComparison.Ordinal);

        foreach (var (client, prefix) in new[] { (w.V1, "/api/v1"), (w.Legacy, "") })
        {
            Assert.Equal(all, await BodyAsync(client, $"{prefix}/flow_runs/all"));
            Assert.Equal(all, await BodyAsync(client, $"{prefix}/flow_runs/all_for_flow_id?flow_id={w.Flow}"));
            Assert.Equal(await ObjectsAsync(w, 1, 2), await BodyAsync(client, $"{prefix}/flow_runs/all?skip=1&limit=2"));
            Assert.Equal(await ObjectsAsync(w, 0, 100, new FlowRunListFilter(["failed", "completed"])), await BodyAsync(client, $"{prefix}/flow_runs/all?status=failed,completed"));
            Assert.Equal(await ObjectsAsync(w, 0, 100, new FlowRunListFilter([], Tag: "a")), await BodyAsync(client, $"{prefix}/flow_runs/all?tag=a"));
            Assert.Equal("[]", await BodyAsync(client, $"{prefix}/flow_runs/all?limit=0"));
            Assert.Equal("[]", await BodyAsync(client, $"{prefix}/flow_runs/all?skip=50"));
            foreach (var id in w.Runs)
            {
                var one = await ObjectAsync(w, id);
                Assert.Equal(one, await BodyAsync(client, $"{prefix}/flow_runs/?id={id}"));
                Assert.Equal(one, await BodyAsync(client, $"{prefix}/flow_runs/{id}"));
            }
        }
    }

    [Fact]
    public async Task Reads_OfAnotherOrganization_OrMissing_AnswerAsBefore()
    {
        var w = await CreateWorldAsync();
        var other = factory.ClientWithBearer((await factory.CreateTenantAsync()).ApiKey);

        Assert.Equal("[]", await BodyAsync(other, "/api/v1/flow_runs/all"));
        var missing = await other.GetAsync($"/api/v1/flow_runs/?id={w.Runs[0]}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("Flow run not found", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var flow = await other.GetAsync($"/flow_runs/all_for_flow_id?flow_id={w.Flow}");
        Assert.Equal(HttpStatusCode.NotFound, flow.StatusCode);
        Assert.Contains("Flow not found", await flow.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_IsHandedToTheResponse_InPiecesOfAboutTheFlushThreshold_AsItIsWritten()
    {
        var w = await CreateWorldAsync();
        // Every task run's result about 35 KiB: the answer is over 400 KiB, many blocks of the pipe.
        var result = JsonSerializer.Serialize(Enumerable.Range(0, 1000).Select(i => new { i, text = $"value {i} of the result" }));
        await using (var db = factory.CreateDbContext())
            await db.Database.ExecuteSqlRawAsync("UPDATE task_runs SET result = {0}::jsonb WHERE organization_id = {1}", result, w.Tenant.OrganizationId);

        var body = new FlushRecordingStream();
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Response.Body = body;
        await using (var db = factory.CreateDbContext(w.Tenant.OrganizationId))
            await FlowRunReads.WriteListAsync(db, new PageQuery { Limit = 100 }, new FlowRunListFilter([]), context.Response, Options, CancellationToken.None);
        await context.Response.BodyWriter.CompleteAsync();

        Assert.Equal(await ObjectsAsync(w), Encoding.UTF8.GetString(body.ToArray()));
        Assert.True(body.Length > 5 * FlowRunJsonWriter.FlushThreshold, $"{body.Length} bytes");
        // The writer hands the pipe a block at a time, so what it has written is more than the block it holds: flushed
        // after that alone, the whole answer would wait in the response's memory until its last byte (one flush).
        Assert.True(body.Flushes.Count >= body.Length / (FlowRunJsonWriter.FlushThreshold + 64 * 1024),
            $"{body.Flushes.Count} flushes for {body.Length} bytes: {string.Join(", ", body.Flushes)}");
        Assert.All(body.Flushes, flushed => Assert.True(flushed <= FlowRunJsonWriter.FlushThreshold + 64 * 1024, $"{flushed} bytes in one flush"));
    }

    /// <summary>A response body that records how many bytes each flush of the pipe wrote.</summary>
    private sealed class FlushRecordingStream : MemoryStream
    {
        private long _flushedAt;

        public List<long> Flushes { get; } = [];

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            if (Length > _flushedAt)
                Flushes.Add(Length - _flushedAt);
            _flushedAt = Length;
            return Task.CompletedTask;
        }
    }
}
