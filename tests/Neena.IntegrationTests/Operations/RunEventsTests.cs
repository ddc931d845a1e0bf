using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Neena.Engine;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Operations;

/// <summary>
/// The server on a real loopback port without an engine of its own: runs are executed by engines the tests start, as
/// another instance would, so every change a stream shows reached it through PostgreSQL notifications.
/// </summary>
public class RunEventsFactory : NeenaFactory
{
    public RunEventsFactory() => UseKestrel(0);

    /// <summary>Seconds between heartbeats, which also re-read the run in case a notification was lost.</summary>
    protected virtual string HeartbeatSeconds => "1";

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:Enabled"] = "false",
        ["RunEvents:HeartbeatSeconds"] = HeartbeatSeconds,
        ["RunEvents:MaxStreams"] = "3",
    };

    public Uri Address
    {
        get
        {
            StartServer();
            return new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }
    }

    /// <summary>A client on the real port: the in-memory server would not show that the answer streams.</summary>
    public HttpClient Http(string apiKey, bool legacy = false)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
        if (legacy)
            client.DefaultRequestHeaders.Add("api_key", apiKey);
        else
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }
}

/// <summary>
/// A stream that never re-reads on its own while the test runs (the heartbeat is an hour away): whatever it shows after the
/// first read reached it through notifications.
/// </summary>
public sealed class NotificationOnlyRunEventsFactory : RunEventsFactory
{
    protected override string HeartbeatSeconds => "3600";
}

public sealed class RunEventsTests(RunEventsFactory factory, NotificationOnlyRunEventsFactory notificationOnly)
    : IClassFixture<RunEventsFactory>, IClassFixture<NotificationOnlyRunEventsFactory>
{
    private Task<FlowRunEngine> StartEngineAsync() => StartEngineAsync(factory);

    internal static async Task<FlowRunEngine> StartEngineAsync(RunEventsFactory factory)
    {
        var engine = FlowRunEngine.Create(factory.Services, new EngineOptions
        {
            InstanceId = "other-instance-" + Guid.NewGuid().ToString("N")[..6],
            PollIntervalSeconds = 1,
            RetryBaseDelayMilliseconds = 50,
            ShutdownGraceSeconds = 0.2,
        });
        await engine.StartAsync(CancellationToken.None);
        await engine.Listening.WaitAsync(TimeSpan.FromSeconds(30));
        return engine;
    }

    internal static async Task StopAsync(FlowRunEngine engine)
    {
        await engine.StopAsync(CancellationToken.None);
        engine.Dispose();
    }

    private Task<(HttpClient Client, TestTenant Tenant, string Flow, string Request)> ThreeTaskFlowAsync(bool legacy = false, bool failing = false) =>
        ThreeTaskFlowAsync(factory, legacy, failing);

    private static async Task<(HttpClient Client, TestTenant Tenant, string Flow, string Request)> ThreeTaskFlowAsync(RunEventsFactory factory, bool legacy, bool failing = false)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.Http(tenant.ApiKey, legacy);
        var v1 = factory.Http(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var raise = await factory.TaskDefinitionIdAsync("core", "Raise Error");
        var flow = await CreateFlowAsync(v1, "three steps",
        [
            new Engine.Op(0, echo, new { message = "one" }),
            new Engine.Op(1, failing ? raise : echo, new { message = "two" }),
            new Engine.Op(2, echo, new { message = "three" }),
        ], [(0, 1), (1, 2)]);
        var request = await CreateRequestAsync(v1, flow);
        return (client, tenant, flow, request);
    }

    private static string Events(string surface) => surface == "v1" ? "/api/v1/flow_runs/events" : "/flow_runs/events";

    [Theory]
    [InlineData("v1")]
    [InlineData("legacy")]
    public async Task Events_ThreeTaskRunExecutedByAnotherInstance_StreamsEveryTransitionThenEnds(string surface)
    {
        // Every event after the first read must come from a notification: no heartbeat re-reads within the test's bounds.
        var (client, _, flow, request) = await ThreeTaskFlowAsync(notificationOnly, legacy: surface == "legacy");
        var v1 = surface == "legacy" ? WithBearer(client) : client;
        var runId = await CreateRunAsync(v1, flow, request, approved: false);

        var (status, stream, _) = await SseClient.OpenAsync(client, $"{Events(surface)}?id={runId}");
        Assert.Equal(HttpStatusCode.OK, status);
        await using var sse = stream!;
        var first = await sse.NextAsync();
        Assert.Equal("run", first!.Event);
        Assert.Equal("pending", first.Json["status"]!.GetValue<string>());
        Assert.Equal(runId, first.Json["id"]!.GetValue<string>());

        var engine = await StartEngineAsync(notificationOnly);
        try
        {
            var approve = await v1.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={runId}", null);
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
            var events = await sse.ToEndAsync(TimeSpan.FromSeconds(30));
            Assert.Empty(sse.Comments);

            Assert.Equal("end", events[^1].Event);
            Assert.Equal("completed", events[^1].Json["status"]!.GetValue<string>());
            var runEvents = events.Where(e => e.Event == "run").Select(e => e.Json).ToList();
            Assert.Equal(["in_progress", "completed"], runEvents.Select(r => r["status"]!.GetValue<string>()));
            Assert.Equal(3, runEvents[^1]["task_runs"]!.AsArray().Count);
            Assert.Equal("run", events[^2].Event);
            for (var index = 0; index < 3; index++)
            {
                var statuses = events.Where(e => e.Event == "task_run" && e.Json["task_operation_index"]!.GetValue<int>() == index)
                    .Select(e => e.Json["status"]!.GetValue<string>()).ToList();
                Assert.Equal(["pending", "in_progress", "completed"], statuses);
            }
            Assert.All(events.Where(e => e.Event != "end"), e => Assert.False(string.IsNullOrEmpty(e.Id)));
            var final = events.Last(e => e.Event == "task_run" && e.Json["task_operation_index"]!.GetValue<int>() == 2).Json;
            Assert.Equal("three", final["result"]!["message"]!.GetValue<string>());
        }
        finally
        {
            await StopAsync(engine);
        }
    }

    private static HttpClient WithBearer(HttpClient legacy)
    {
        var client = new HttpClient { BaseAddress = legacy.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKeyOf(legacy));
        return client;
    }

    private static string ApiKeyOf(HttpClient client) =>
        client.DefaultRequestHeaders.Authorization?.Parameter ?? client.DefaultRequestHeaders.GetValues("api_key").Single();

    [Fact]
    public async Task Events_FailedRun_EndsWithTheFailedTaskAndTheFailedRun()
    {
        var (client, _, flow, request) = await ThreeTaskFlowAsync(failing: true);
        var engine = await StartEngineAsync();
        try
        {
            var runId = await CreateRunAsync(client, flow, request);
            var (_, stream, _) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={runId}");
            await using var sse = stream!;
            var events = await sse.ToEndAsync();

            var last = events.Where(e => e.Event == "task_run").GroupBy(e => e.Json["task_operation_index"]!.GetValue<int>())
                .ToDictionary(g => g.Key, g => g.Last().Json["status"]!.GetValue<string>());
            Assert.Equal("completed", last[0]);
            Assert.Equal("failed", last[1]);
            Assert.Equal("cancelled", last[2]);
            Assert.Equal("failed", events.Last(e => e.Event == "run").Json["status"]!.GetValue<string>());
            Assert.Equal("end", events[^1].Event);
        }
        finally
        {
            await StopAsync(engine);
        }
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("legacy")]
    public async Task Events_RunThatHasEnded_SendsFinalStateAndEndsAtOnce(string surface)
    {
        var (client, _, flow, request) = await ThreeTaskFlowAsync(legacy: surface == "legacy");
        var created = await (surface == "legacy" ? WithBearer(client) : client).PostJsonAsync("/api/v1/flow_runs/", new { flow, flow_request = request, approval_status = "rejected" });
        var runId = (await created.ReadJsonAsync())["id"]!.GetValue<string>();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (status, stream, _) = await SseClient.OpenAsync(client, $"{Events(surface)}?id={runId}");
        Assert.Equal(HttpStatusCode.OK, status);
        await using var sse = stream!;
        var events = await sse.ToEndAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["run", "end"], events.Select(e => e.Event));
        Assert.Equal("cancelled", events[0].Json["status"]!.GetValue<string>());
        Assert.Equal("rejected", events[0].Json["approval_status"]!.GetValue<string>());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Events_LastEventId_SendsOnlyWhatChangedSince()
    {
        var (client, _, flow, request) = await ThreeTaskFlowAsync();
        var engine = await StartEngineAsync();
        string runId;
        try
        {
            runId = await CreateRunAsync(client, flow, request);
            await WaitForRunAsync(client, runId);
        }
        finally
        {
            await StopAsync(engine);
        }
        var (_, first, _) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={runId}");
        List<SseEvent> all;
        await using (first)
            all = await first!.ToEndAsync();
        Assert.Equal(["task_run", "task_run", "task_run", "run", "end"], all.Select(e => e.Event));

        // As if the connection dropped after the second task run's event.
        var (status, resumed, _) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={runId}", lastEventId: all[1].Id);
        Assert.Equal(HttpStatusCode.OK, status);
        await using var sse = resumed!;
        var rest = await sse.ToEndAsync();

        Assert.Equal(["task_run", "run", "end"], rest.Select(e => e.Event));
        Assert.Equal(2, rest[0].Json["task_operation_index"]!.GetValue<int>());
        Assert.Equal(all[3].Id, rest[1].Id);

        // Everything seen: only the end.
        var (_, done, _) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={runId}", lastEventId: all[3].Id);
        await using var sse2 = done!;
        Assert.Equal(["end"], (await sse2.ToEndAsync()).Select(e => e.Event));
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("legacy")]
    public async Task Events_AnotherOrganizationsOrUnknownRun_Answers404AndBadInput422(string surface)
    {
        var (owner, _, flow, request) = await ThreeTaskFlowAsync();
        var runId = await CreateRunAsync(owner, flow, request, approved: false);
        var stranger = factory.Http((await factory.CreateTenantAsync()).ApiKey, legacy: surface == "legacy");

        var (status, _, response) = await SseClient.OpenAsync(stranger, $"{Events(surface)}?id={runId}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("Flow run not found", await response.DetailAsync());
        (status, _, _) = await SseClient.OpenAsync(stranger, $"{Events(surface)}?id={Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        (status, _, response) = await SseClient.OpenAsync(stranger, $"{Events(surface)}?id=nope");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(["query.id"], await response.ErrorLocationsAsync());
        (status, _, response) = await SseClient.OpenAsync(stranger, Events(surface));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        var ownerClient = surface == "legacy" ? factory.Http(ApiKeyOf(owner), legacy: true) : owner;
        (status, _, response) = await SseClient.OpenAsync(ownerClient, $"{Events(surface)}?id={runId}", lastEventId: "1e400");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(["header.Last-Event-ID"], await response.ErrorLocationsAsync());
    }

    [Fact]
    public async Task Events_OpenRun_SendsHeartbeatsWhileNothingHappens()
    {
        var (client, _, flow, request) = await ThreeTaskFlowAsync();
        var runId = await CreateRunAsync(client, flow, request, approved: false);
        var (_, stream, _) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={runId}");
        await using var sse = stream!;
        Assert.Equal("run", (await sse.NextAsync())!.Event);

        // Cancelling through the API after two heartbeat periods: the comments came first, then the change and the end.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={runId}", null)).StatusCode);
        var events = await sse.ToEndAsync();

        Assert.Contains(": heartbeat", sse.Comments);
        Assert.Equal(["run", "end"], events.Select(e => e.Event));
        Assert.Equal("cancelled", events[0].Json["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Events_MoreStreamsThanAllowed_Answers503UntilOneCloses()
    {
        var (client, _, flow, request) = await ThreeTaskFlowAsync();
        var runId = await CreateRunAsync(client, flow, request, approved: false);
        var open = new List<SseClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var (status, stream, _) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={runId}");
                Assert.Equal(HttpStatusCode.OK, status);
                open.Add(stream!);
                Assert.Equal("run", (await stream!.NextAsync())!.Event);
            }
            var (refused, _, response) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={runId}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.NotNull(await response.DetailAsync());

            await open[0].DisposeAsync();
            open.RemoveAt(0);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            HttpStatusCode again;
            do
            {
                await Task.Delay(100);
                (again, var stream, _) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={runId}");
                if (stream is not null)
                    open.Add(stream);
            }
            while (again != HttpStatusCode.OK && DateTime.UtcNow < deadline);
            Assert.Equal(HttpStatusCode.OK, again);
        }
        finally
        {
            foreach (var stream in open)
                await stream.DisposeAsync();
            // The server notices the closed connections (at the latest when a heartbeat fails): their places are free again.
            var hub = factory.Services.GetRequiredService<Neena.Api.RunEvents.RunEventHub>();
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (hub.OpenStreams > 0 && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            Assert.Equal(0, hub.OpenStreams);
        }
    }
}
