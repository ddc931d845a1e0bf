using System.Net;
using System.Text.Json.Nodes;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.StandIns;
using static Neena.IntegrationTests.Agent.AgentTestSupport;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Agent;

/// <summary>
/// The planner knows flows that decide (issue 20, item 8): the <c>flow</c> schema and the prompt offer conditions, joins,
/// continue_on_failure and for_each, and the model's answer keeps them, checked by the validator of <c>POST /flows</c>.
/// </summary>
public sealed class GenerationDecidesWithModelTests : IClassFixture<ModelFactory>
{
    private const string Request = "Echo the ticket, then say urgent or routine, and finish with a summary";
    private readonly ModelFactory _factory;

    public GenerationDecidesWithModelTests(ModelFactory factory)
    {
        _factory = factory;
        factory.Model.Reset();
    }

    private OpenAiServer Model => _factory.Model;

    private static JsonObject Condition(string op) => new()
    {
        ["any"] = new JsonArray(new JsonObject
        {
            ["all"] = new JsonArray(new JsonObject { ["left"] = "{{tasks.0.result.message}}", ["op"] = op, ["right"] = "urgent" }),
        }),
    };

    /// <summary>An if/else meeting at an any join, the source tolerating its failure; <paramref name="op"/> is the then-branch's test.</summary>
    private async Task<JsonObject> DecidingAnswerAsync(string op)
    {
        var echo = (await _factory.TaskDefinitionIdAsync("core", "Echo")).ToString();
        JsonObject Op(int index, string message) => new()
        {
            ["name"] = $"step {index}",
            ["task_definition"] = echo,
            ["instruction"] = "say it",
            ["index"] = index,
            ["parameters"] = new JsonObject { ["message"] = message },
        };
        var source = Op(0, "urgent ticket");
        source["continue_on_failure"] = true;
        var join = Op(3, "summary: {{tasks.1.result.message}}{{tasks.2.result.message}} ({{tasks.0.status}})");
        join["join"] = "any";
        return new JsonObject
        {
            ["name"] = "Triage",
            ["task_operations"] = new JsonArray(source, Op(1, "urgent"), Op(2, "routine"), join),
            ["dependencies"] = new JsonArray(
                new JsonObject { ["source_task_operation"] = 0, ["target_task_operation"] = 1, ["condition"] = Condition(op) },
                new JsonObject { ["source_task_operation"] = 0, ["target_task_operation"] = 2, ["condition"] = Condition("not_contains") },
                new JsonObject { ["source_task_operation"] = 1, ["target_task_operation"] = 3 },
                new JsonObject { ["source_task_operation"] = 2, ["target_task_operation"] = 3 }),
            ["explanation"] = "an if/else meeting at a join",
        };
    }

    [Fact]
    public async Task Generate_AnswerWithAConditionAndAnAnyJoin_IsKeptInTheSavedFlowAndTheDryRun()
    {
        var (client, _) = await ClientAsync(_factory);
        var requestId = await CreateFlowRequestAsync(client, Request);
        var answer = await DecidingAnswerAsync("contains");
        Model.Enqueue(Reply.Answer(answer));
        Model.Enqueue(Reply.Answer(answer));

        var flow = await GenerateAsync(client, requestId);
        var dryRun = await (await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}&dry_run=true")).ReadJsonAsync();

        Assert.Equal(2, Model.Requests.Count); // valid at once: no re-ask
        foreach (var planned in new[] { flow, dryRun })
        {
            Assert.Equal("any", Operation(planned, 3)["join"]!.GetValue<string>());
            Assert.True(Operation(planned, 0)["continue_on_failure"]!.GetValue<bool>());
            var toThen = planned["dependencies"]!.AsArray().Single(d => d!["target_task_operation"]!.GetValue<int>() == 1)!;
            Assert.True(JsonNode.DeepEquals(Condition("contains"), toThen["condition"]), toThen.ToJsonString());
        }
        var created = await client.PostAsync("/api/v1/flows/", JsonHelpers.RawJson(dryRun.ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal("any", Operation(await created.ReadJsonAsync(), 3)["join"]!.GetValue<string>());

        var asked = Model.Requests[0];
        var operation = asked.Schema!["properties"]!["task_operations"]!["items"]!["properties"]!;
        Assert.NotNull(operation["continue_on_failure"]);
        Assert.NotNull(operation["for_each"]);
        Assert.Contains("any", operation["join"]!["enum"]!.AsArray().Select(v => v?.GetValue<string>()));
        var test = asked.Schema["properties"]!["dependencies"]!["items"]!["properties"]!["condition"]!["properties"]!["any"]!["items"]!["properties"]!["all"]!["items"]!;
        Assert.Equal(14, test["properties"]!["op"]!["enum"]!.AsArray().Count);
        Assert.Contains("\"join\": \"any\"", asked.Messages[0].Content, StringComparison.Ordinal);
        Assert.Contains("continue_on_failure", asked.Messages[0].Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_AnswerWithAnUnknownOp_IsRefusedWithTheProblemOfPostFlows()
    {
        var (client, _) = await ClientAsync(_factory);
        var requestId = await CreateFlowRequestAsync(client, Request);
        var answer = await DecidingAnswerAsync("resembles");
        Model.Enqueue(Reply.Answer(answer));
        Model.Enqueue(Reply.Answer(answer));
        var posted = (JsonObject)answer.DeepClone();
        posted.Remove("explanation");
        var direct = await client.PostAsync("/api/v1/flows/", JsonHelpers.RawJson(posted.ToJsonString()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, direct.StatusCode);
        var problem = Assert.Single((await direct.ReadJsonAsync())["errors"]!.AsArray())!.AsObject().Single();
        Assert.Equal("body.dependencies.0.condition.any.0.all.0.op", problem.Key);

        var response = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var expected = $"dependencies.0.condition.any.0.all.0.op: {problem.Value!.GetValue<string>()}";
        Assert.Contains(expected, await response.DetailAsync(), StringComparison.Ordinal);
        Assert.Contains(expected, Model.Requests[1].Messages[3].Content, StringComparison.Ordinal); // the re-ask names it
    }
}
