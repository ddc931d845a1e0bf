using System.Net;
using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.StandIns;
using static Neena.IntegrationTests.Agent.AgentTestSupport;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Agent;

/// <summary>
/// Flow generation through the server's real model client against the OpenAI-compatible stand-in
/// (<c>LanguageModel:Endpoint</c> points at it; nothing in the server is substituted).
/// </summary>
public sealed class GenerationWithModelTests : IClassFixture<ModelFactory>
{
    private const string NamedRequest = "Use Compose Text to write a greeting from the template, then Echo it";
    private readonly ModelFactory _factory;

    public GenerationWithModelTests(ModelFactory factory)
    {
        _factory = factory;
        factory.Model.Reset();
    }

    private OpenAiServer Model => _factory.Model;

    /// <summary>A flow answer whose first operation names a task definition that does not exist.</summary>
    private static Reply InvalidFlow() => Reply.Answer(new JsonObject
    {
        ["name"] = "Broken",
        ["task_operations"] = new JsonArray(new JsonObject
        {
            ["name"] = "ghost",
            ["task_definition"] = Guid.NewGuid().ToString(),
            ["instruction"] = "do it",
            ["index"] = 0,
        }),
        ["dependencies"] = new JsonArray(),
        ["explanation"] = "made up",
    });

    [Fact]
    public async Task Generate_WithModel_AsksForAFlowFromTheCandidatesAndTheAnswerPostsAsIs()
    {
        var (client, _) = await ClientAsync(_factory);
        var requestId = await CreateFlowRequestAsync(client, NamedRequest, metadata: GreetingMetadata);

        var response = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        var flow = JsonNode.Parse(body)!;
        Assert.Equal("model", flow["planner"]!.GetValue<string>());
        Assert.Equal(OpenAiServer.ModelName, flow["model"]!.GetValue<string>());
        Assert.Equal(["Compose Text", "Echo"], flow["task_operations"]!.AsArray().Select(o => o!["name"]!.GetValue<string>()));
        Assert.Equal([(0, 1)], Dependencies(flow));
        Assert.Equal("{{tasks.0.result.text}}", Operation(flow, 1)["parameters"]!["message"]!.GetValue<string>());
        Assert.Equal("The stand-in chained Compose Text, then Echo.", flow["explanation"]!.GetValue<string>());
        Assert.Equal(Model.PromptTokensSent, flow["usage"]!["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(Model.CompletionTokensSent, flow["usage"]!["completion_tokens"]!.GetValue<long>());
        Assert.Equal(Model.PromptTokensSent + Model.CompletionTokensSent, flow["usage"]!["total_tokens"]!.GetValue<long>());

        var asked = Assert.Single(Model.Requests);
        Assert.Equal("flow", asked.SchemaName);
        Assert.Equal(OpenAiServer.ModelName, asked.Model);
        var candidates = OpenAiServer.Candidates(asked);
        Assert.Equal(flow["candidates"]!.AsArray().Count, candidates.Count);
        Assert.Contains(candidates, c => c["task_name"]!.GetValue<string>() == "Compose Text" && c["parameters"]![0]!["doc_string"] is not null && c["outputs"]!.AsArray().Count == 1);
        Assert.Contains("Hello, {name}!", asked.Messages[1].Content); // the request's metadata is in the prompt

        var created = await client.PostAsync("/api/v1/flows/", JsonHelpers.RawJson(body));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
    }

    [Fact]
    public async Task Generate_InvalidAnswerThenValid_ReasksOnceWithTheProblems()
    {
        var (client, _) = await ClientAsync(_factory);
        var requestId = await CreateFlowRequestAsync(client, NamedRequest);
        Model.Enqueue(InvalidFlow());

        var flow = await GenerateAsync(client, requestId);

        Assert.Equal(2, Model.Requests.Count);
        var retry = Model.Requests[1];
        Assert.Equal(["system", "user", "assistant", "user"], retry.Messages.Select(m => m.Role));
        Assert.Contains("\"ghost\"", retry.Messages[2].Content);
        Assert.Contains("task_operations.0.task_definition: task definition not found", retry.Messages[3].Content);
        Assert.Equal("flow", retry.SchemaName);
        Assert.Equal("Compose Text", Operation(flow, 0)["name"]!.GetValue<string>());
        Assert.Equal(Model.PromptTokensSent + Model.CompletionTokensSent, flow["usage"]!["total_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task Generate_AnswerNamingACredential_LeavesTheChoiceToTheOrganization()
    {
        var (client, _) = await ClientAsync(_factory);
        var requestId = await CreateFlowRequestAsync(client, NamedRequest);
        var echo = await _factory.TaskDefinitionIdAsync("core", "Echo");
        Model.Enqueue(Reply.Answer(new JsonObject
        {
            ["name"] = "Echo",
            ["task_operations"] = new JsonArray(new JsonObject
            {
                ["name"] = "Echo",
                ["task_definition"] = echo.ToString(),
                ["instruction"] = "say it",
                ["index"] = 0,
                ["integration_credential"] = Guid.NewGuid().ToString(),
            }),
            ["dependencies"] = new JsonArray(),
            ["explanation"] = "one step",
        }));

        var flow = await GenerateAsync(client, requestId);

        // Dropped before validation, so the made-up id neither reaches the plan nor makes the model ask again.
        Assert.Single(Model.Requests);
        Assert.True(Operation(flow, 0).AsObject().ContainsKey("integration_credential"));
        Assert.Null(Operation(flow, 0)["integration_credential"]);
    }

    [Fact]
    public async Task Generate_InvalidTwice_Answers502WithTheReasons()
    {
        var (client, _) = await ClientAsync(_factory);
        var requestId = await CreateFlowRequestAsync(client, NamedRequest);
        Model.Enqueue(InvalidFlow());
        Model.Enqueue(Reply.Answer("{\"name\": \"x\", \"task_operations\": [], \"dependencies\": [], \"explanation\": \"nothing\"}"));

        var response = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var detail = await response.DetailAsync();
        Assert.StartsWith("The language model's flow is invalid: ", detail);
        Assert.Contains("task_operations", detail);
        Assert.Equal(2, Model.Requests.Count);
    }

    [Fact]
    public async Task Generate_AnswerNotJson_IsReasked()
    {
        var (client, _) = await ClientAsync(_factory);
        var requestId = await CreateFlowRequestAsync(client, NamedRequest);
        Model.Enqueue(Reply.Answer("Sure! Here is your flow: compose, then echo."));

        var flow = await GenerateAsync(client, requestId);

        Assert.Contains("not valid JSON", Model.Requests[1].Messages[3].Content);
        Assert.Equal(2, flow["task_operations"]!.AsArray().Count);
    }

    [Fact]
    public async Task Generate_ModelRateLimited_Answers503WithItsRetryAfter()
    {
        var (client, _) = await ClientAsync(_factory);
        var requestId = await CreateFlowRequestAsync(client, NamedRequest);
        Model.Enqueue(Reply.Fail(429, retryAfterSeconds: 7));

        var response = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Contains("429", await response.DetailAsync());
        Assert.Single(Model.Requests); // not retried inside the request
    }

    [Fact]
    public async Task Generate_ModelTimesOut_Answers503WithTheDefaultRetryAfterThenRecovers()
    {
        var (client, _) = await ClientAsync(_factory);
        var requestId = await CreateFlowRequestAsync(client, NamedRequest);
        Model.Enqueue(Reply.After(TimeSpan.FromSeconds(ModelFactory.TimeoutSeconds * 3)));

        var slow = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");
        var again = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, slow.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(ModelFactory.DefaultRetryAfterSeconds), slow.Headers.RetryAfter?.Delta);
        Assert.Contains($"did not answer within {ModelFactory.TimeoutSeconds} s", await slow.DetailAsync());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Generate_ModelRefuses_Answers502()
    {
        var (client, _) = await ClientAsync(_factory);
        var requestId = await CreateFlowRequestAsync(client, NamedRequest);
        Model.Enqueue(Reply.Fail(400));

        var response = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("refused the request: 400", await response.DetailAsync());
    }

    [Fact]
    public async Task GenerateAndExecute_WithModel_SavesLinksAndTheRunCompletes()
    {
        var (client, _) = await ClientAsync(_factory);
        var requestId = await CreateFlowRequestAsync(client, NamedRequest, metadata: GreetingMetadata);

        var saved = await client.PostAsync($"/flows/generate?flow_request_id={requestId}", null);
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        var flow = await saved.ReadJsonAsync();
        var flowId = flow["id"]!.GetValue<string>();
        Assert.Equal(Model.PromptTokensSent + Model.CompletionTokensSent, flow["usage"]!["total_tokens"]!.GetValue<long>());
        var request = await (await client.GetAsync($"/api/v1/flow_requests/?id={requestId}")).ReadJsonAsync();
        Assert.Equal(flowId, request["flow"]!.GetValue<string>());

        var executed = await client.PostAsync($"/flows/execute?flow_id={flowId}&flow_request_id={requestId}", null);

        Assert.Equal(HttpStatusCode.OK, executed.StatusCode);
        var run = await WaitForRunAsync(client, (await executed.ReadJsonAsync())["id"]!.GetValue<string>());
        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Equal("Hello, Ada!", TaskRun(run, 1)["result"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task ApiKey_AfterAnswersAndFailures_NeverAppearsInLogsOrAnswers()
    {
        var (client, _) = await ClientAsync(_factory);
        var requestId = await CreateFlowRequestAsync(client, NamedRequest, metadata: GreetingMetadata);
        Model.Enqueue(Reply.Fail(429, retryAfterSeconds: 1));
        Model.Enqueue(Reply.Fail(401));
        Model.Enqueue(InvalidFlow());
        var bodies = new List<string>();
        for (var i = 0; i < 4; i++)
            bodies.Add(await (await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}")).Content.ReadAsStringAsync());
        bodies.Add(await (await client.PostAsync($"/api/v1/flows/generate?flow_request_id={requestId}", null)).Content.ReadAsStringAsync());

        var log = _factory.ReadLog();

        Assert.Contains("Language model client created", log); // the log really holds the model client's lines
        Assert.Contains("ApiKey=(set)", log);
        Assert.DoesNotContain(Model.ApiKey, log);
        Assert.All(bodies, b => Assert.DoesNotContain(Model.ApiKey, b));
        Assert.All(Model.Requests, r => Assert.Equal("Bearer " + Model.ApiKey, r.Authorization)); // the key was in use
    }
}
