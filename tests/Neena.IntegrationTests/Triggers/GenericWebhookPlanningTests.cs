using System.Net;
using Neena.Domain.FlowRuns;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.Infrastructure;
using Neena.StandIns;
using static Neena.IntegrationTests.Engine.EngineTestSupport;
using static Neena.IntegrationTests.Triggers.WebhookTestSupport;

namespace Neena.IntegrationTests.Triggers;

/// <summary>
/// The generic Incoming Webhook with no fixed flow and no language model (§6, §8): its event lies in the request's metadata
/// under <c>payload</c>, and the planner binds task inputs to the payload's fields by name
/// (<c>{{request.metadata.payload.FIELD}}</c>), so the generated flow runs; where no field fits, the trigger run fails
/// naming the task and the input, and no flow or run is made.
/// </summary>
public sealed class GenericWebhookPlanningTests(WebhookFactory factory) : IClassFixture<WebhookFactory>
{
    /// <summary>An operation made through the API as a user makes it: no flow, runs without approval; its signing secret.</summary>
    private async Task<(HttpClient Client, TestTenant Tenant, Guid Operation, string Secret)> OperationAsync()
    {
        var (client, tenant) = await ClientAsync(factory);
        var created = await client.PostOkAsync("/api/v1/webhook_trigger_operations/", new
        {
            name = "greetings",
            webhook_trigger_definition = await factory.TriggerDefinitionIdAsync("core", "Incoming Webhook"),
            template_body = "Send a greeting composed from the request's name",
            status = "active",
            requires_approval = false,
        });
        return (client, tenant, Guid.Parse(created["id"]!.GetValue<string>()), created["signing_secret"]!.GetValue<string>());
    }

    [Fact]
    public async Task SignedDelivery_PayloadFieldsFillTheGeneratedFlow_AndItsRunCompletes()
    {
        var (client, _, operation, secret) = await OperationAsync();

        var response = await factory.CreateClient().SendAsync(
            PlatformWebhooks.Neena(Path(operation), """{"template": "Hello, {name}!", "values": {"name": "Ada"}, "sent_by": "crm"}""", secret));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.True(triggerRun.Status == TriggerRunStatus.Completed, triggerRun.Error);
        var request = await (await client.GetAsync($"/api/v1/flow_requests/?id={triggerRun.FlowRequestId}")).ReadJsonAsync();
        var flow = await (await client.GetAsync($"/api/v1/flows/?id={request["flow"]}")).ReadJsonAsync();
        var compose = flow["task_operations"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == "Compose Text")!;
        Assert.Equal("{{request.metadata.payload.template}}", compose["parameters"]!["template"]!.GetValue<string>());
        Assert.Equal("{{request.metadata.payload.values}}", compose["parameters"]!["values"]!.GetValue<string>());

        var run = await WaitForRunAsync(client, triggerRun.FlowRunId!.Value.ToString());
        Assert.True(Status(run) == RunStatus.Completed, run.ToJsonString());
        Assert.Contains(run["task_runs"]!.AsArray(), t => t!["result"]?["message"]?.GetValue<string>() == "Hello, Ada!");
    }

    [Fact]
    public async Task SignedDelivery_NoPayloadFieldFitsARequiredInput_FailsTheTriggerRunNamingIt_AndMakesNoRun()
    {
        var (client, tenant, operation, secret) = await OperationAsync();

        var response = await factory.CreateClient().SendAsync(PlatformWebhooks.Neena(Path(operation), """{"name": "Ada"}""", secret));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.Equal(TriggerRunStatus.Failed, triggerRun.Status);
        Assert.StartsWith(
            "No flow could be generated for the request: the planned flow could not run without a language model: task 'Compose Text' (operation 0) needs its required input 'template' (string)",
            triggerRun.Error);
        Assert.Equal(1, triggerRun.Attempts);
        Assert.Null(triggerRun.FlowRunId);
        Assert.Equal((1, 0, 0), await factory.RowsAsync(tenant));
        Assert.Empty((await (await client.GetAsync("/api/v1/flows/all")).ReadJsonAsync()).AsArray());
    }
}
