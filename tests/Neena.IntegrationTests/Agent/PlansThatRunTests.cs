using System.Net;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Agent.AgentTestSupport;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Agent;

/// <summary>
/// §6 without a model: a generated flow runs, or generation answers 422 naming the task and the input nothing fills; and
/// <c>{{request.metadata.KEY.PATH}}</c> bindings (§4) read into the request's metadata when the flow runs.
/// </summary>
public sealed class PlansThatRunTests(EngineFactory factory) : IClassFixture<EngineFactory>
{
    /// <summary>The request the API reference should use for generation without a model (the report names it).</summary>
    private const string SummaryRequest = "Compose and send the weekly sales summary message for Acme";

    private static readonly object[] SummaryMetadata =
        [new { template = "Weekly sales summary for {customer} ({region})", values = new { customer = "Acme", region = "EMEA" } }];

    [Fact]
    public async Task Generate_RequiredInputNothingFills_Answers422NamingTheTaskAndTheInput_AndSavesNothing()
    {
        var (client, _) = await ClientAsync(factory);
        // Compose Text fits the request, but nothing gives its template: no metadata, and no earlier task produces one.
        var requestId = await CreateFlowRequestAsync(client, GreetingRequest, name: "Ada");

        var planned = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");
        var saved = await client.PostAsync($"/api/v1/flows/generate?flow_request_id={requestId}", null);
        var executed = await client.GetAsync($"/api/v1/flows/generate_flow_and_execute?flow_request_id={requestId}");

        foreach (var response in new[] { planned, saved, executed })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            var message = await response.ErrorMessageAsync("query.flow_request_id");
            Assert.StartsWith(
                "the planned flow could not run without a language model: task 'Compose Text' (operation 0) needs its required input 'template' (string), and nothing fills it",
                message);
        }
        var request = await (await client.GetAsync($"/api/v1/flow_requests/?id={requestId}")).ReadJsonAsync();
        Assert.Null(request["flow"]);
        Assert.Empty((await (await client.GetAsync("/api/v1/flows/all")).ReadJsonAsync()).AsArray());
        Assert.Empty((await (await client.GetAsync("/api/v1/flow_runs/all")).ReadJsonAsync()).AsArray());
    }

    [Fact]
    public async Task Generate_RequestTextWhoseTaskNeedsAnInput_Answers422AtTheQueryNamingIt()
    {
        var (client, _) = await ClientAsync(factory);

        var response = await client.GetAsync($"/api/v1/flows/generate?request={Uri.EscapeDataString("Pause for ten seconds before continuing")}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("task 'Wait' (operation 0) needs its required input 'seconds' (number)", await response.ErrorMessageAsync("query.request"));
    }

    [Fact]
    public async Task Generate_WhenTheMetadataFillsTheInputs_TheFlowRunsToCompletion()
    {
        var (client, _) = await ClientAsync(factory);
        var requestId = await CreateFlowRequestAsync(client, SummaryRequest, name: "Weekly sales summary", metadata: SummaryMetadata);

        var saved = await client.PostAsync($"/api/v1/flows/generate?flow_request_id={requestId}", null);

        Assert.True(saved.StatusCode == HttpStatusCode.OK, await saved.Content.ReadAsStringAsync());
        var flow = await saved.ReadJsonAsync();
        Assert.Equal(["Compose Text", "Echo"], flow["task_operations"]!.AsArray().OrderBy(o => o!["index"]!.GetValue<int>()).Select(o => o!["name"]!.GetValue<string>()));
        var executed = await client.PostAsync($"/api/v1/flows/execute?flow_id={flow["id"]}&flow_request_id={requestId}", null);
        var run = await WaitForRunAsync(client, (await executed.ReadJsonAsync())["id"]!.GetValue<string>());
        Assert.True(Status(run) == RunStatus.Completed, run.ToJsonString());
        Assert.Equal("Weekly sales summary for Acme (EMEA)", TaskRun(run, 1)["result"]!["message"]!.GetValue<string>());
    }

    /// <summary>
    /// The request the API reference used: no task in the catalogue comes near "post the weekly sales summary" (the best
    /// scores below the threshold), and the planner says so rather than invent a flow.
    /// </summary>
    [Fact]
    public async Task Generate_TheFormerDocsExample_IsRefusedAsNothingFits()
    {
        var (client, _) = await ClientAsync(factory);
        var requestId = await CreateFlowRequestAsync(client, "Post the weekly sales summary for Acme", metadata: new[] { new { customer = "Acme", region = "EMEA" } });

        var response = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.StartsWith("nothing in the catalogue fits the request", await response.ErrorMessageAsync("query.flow_request_id"));
    }

    [Fact]
    public async Task MetadataPathBindings_ReadIntoObjectsAndArrays_AndAMissingPathFailsTheTaskNamingIt()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flowId = await CreateFlowAsync(client, "order line",
        [
            new Op(0, echo, new { message = "{{request.metadata.order.id}}: {{request.metadata.order.items.1.qty}} × {{request.metadata.order.items.1.sku}}", data = "{{request.metadata.order.items.0}}" }),
            new Op(1, echo, new { message = "{{request.metadata.order.items.5.sku}}" }),
        ], [(0, 1)]);
        var metadata = new object[] { new { customer = "Acme" }, new { order = new { id = "A-1042", items = new object[] { new { sku = "X1", qty = 2 }, new { sku = "Y2", qty = 5 } } } } };
        var requestId = await CreateRequestAsync(client, flowId, metadata: metadata);

        var run = await WaitForRunAsync(client, await CreateRunAsync(client, flowId, requestId));

        Assert.Equal(RunStatus.Failed, Status(run));
        var first = TaskRun(run, 0);
        Assert.Equal(RunStatus.Completed, Status(first));
        Assert.Equal("A-1042: 5 × Y2", first["result"]!["message"]!.GetValue<string>());
        Assert.Equal("X1", first["result"]!["data"]!["sku"]!.GetValue<string>());
        Assert.Equal(2, first["result"]!["data"]!["qty"]!.GetValue<int>());
        var second = TaskRun(run, 1);
        Assert.Equal(RunStatus.Failed, Status(second));
        Assert.Contains("{{request.metadata.order.items.5.sku}}: request metadata 'order' has nothing at 'items.5.sku'", second["error"]!.GetValue<string>());
    }
}
