using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.FlowRuns;

/// <summary>
/// <c>PUT /approve</c> answers from the round trip that approves (issue 23): the database commands of a request are counted
/// from Npgsql's spans started in the request's trace (the client sends its <c>traceparent</c>), next to those of a by-id read.
/// </summary>
public sealed class ApproveRoundTripTests : IClassFixture<EngineOffFactory>, IDisposable
{
    private readonly EngineOffFactory factory;
    private readonly ConcurrentBag<Activity> _commands = [];
    private readonly ActivityListener _listener;

    public ApproveRoundTripTests(EngineOffFactory factory)
    {
        this.factory = factory;
        // ASP.NET Core's source too: with a listener it starts the request's span from the traceparent header, so the
        // commands made for the request carry the test's trace id. Counted as they start, before any answer is sent.
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity =>
            {
                if (activity.Source.Name == "Npgsql")
                    _commands.Add(activity);
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [Fact]
    public async Task Approve_AnswersWithTheRunFromTheApprovalsRoundTrip()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await (await Ok(client.PostJsonAsync("/api/v1/flows/", new
        {
            name = "Approve me",
            task_operations = new[] { new { name = "a", task_definition = echo, index = 0 }, new { name = "b", task_definition = echo, index = 1 } },
            dependencies = new[] { new { source_task_operation = 0, target_task_operation = 1 } },
        }))).ReadJsonAsync();
        var request = await (await Ok(client.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Please run the flow." }))).ReadJsonAsync();
        var run = (await (await Ok(client.PostJsonAsync("/api/v1/flow_runs/", new { flow = flow["id"]!.GetValue<string>(), flow_request = request["id"]!.GetValue<string>(), status = "pending" }))).ReadJsonAsync())["id"]!.GetValue<string>();
        // Whatever the first request of a key costs (its lookup) is paid before the counted ones.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/flow_runs/?id={run}")).StatusCode);

        var (readStatus, readCommands, _) = await TracedAsync(client, HttpMethod.Get, $"/api/v1/flow_runs/?id={run}");
        var (approveStatus, approveCommands, approved) = await TracedAsync(client, HttpMethod.Put, $"/api/v1/flow_runs/approve?flow_run_id={run}");

        Assert.Equal(HttpStatusCode.OK, readStatus);
        Assert.Equal(HttpStatusCode.OK, approveStatus);
        Assert.True(readCommands >= 1, "the by-id read made no database command that was traced");
        Assert.Equal(readCommands, approveCommands);
        // The answer is the run as the approval left it, with its task runs.
        var body = System.Text.Json.Nodes.JsonNode.Parse(approved)!;
        Assert.Equal("in_progress", body["status"]!.GetValue<string>());
        Assert.Equal("approved", body["approval_status"]!.GetValue<string>());
        Assert.Equal(["pending", "pending"], body["task_runs"]!.AsArray().Select(t => t!["status"]!.GetValue<string>()));
        var read = await (await client.GetAsync($"/api/v1/flow_runs/?id={run}")).Content.ReadAsStringAsync();
        Assert.Equal(read, approved);
    }

    [Fact]
    public async Task Approve_OfAnApprovedRunOrAnotherOrganizations_AnswersConflictAndNotFound()
    {
        var tenant = await factory.CreateTenantAsync();
        var other = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await (await Ok(client.PostJsonAsync("/api/v1/flows/", new { name = "Once", task_operations = new[] { new { name = "a", task_definition = echo, index = 0 } } }))).ReadJsonAsync();
        var request = await (await Ok(client.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Please run the flow." }))).ReadJsonAsync();
        var run = (await (await Ok(client.PostJsonAsync("/api/v1/flow_runs/", new { flow = flow["id"]!.GetValue<string>(), flow_request = request["id"]!.GetValue<string>(), status = "pending" }))).ReadJsonAsync())["id"]!.GetValue<string>();

        var foreign = await factory.ClientWithBearer(other.ApiKey).PutAsync($"/api/v1/flow_runs/approve?flow_run_id={run}", null);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={run}", null)).StatusCode);
        var again = await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={run}", null);

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("its status is 'in_progress' and its approval status is 'approved'", await again.DetailAsync());
        var read = await (await client.GetAsync($"/api/v1/flow_runs/?id={run}")).ReadJsonAsync();
        Assert.Single(read["task_runs"]!.AsArray());
    }

    public void Dispose() => _listener.Dispose();

    private static async Task<HttpResponseMessage> Ok(Task<HttpResponseMessage> sent)
    {
        var response = await sent;
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return response;
    }

    private async Task<(HttpStatusCode Status, int Commands, string Body)> TracedAsync(HttpClient client, HttpMethod method, string path)
    {
        var trace = ActivityTraceId.CreateRandom();
        using var message = new HttpRequestMessage(method, path);
        message.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        using var response = await client.SendAsync(message);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, _commands.Count(a => a.TraceId == trace), body);
    }
}
