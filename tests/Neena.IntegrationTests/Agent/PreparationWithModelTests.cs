using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.StandIns;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Agent;

/// <summary>
/// Task preparation through the server's real model client against the OpenAI-compatible stand-in
/// (<c>LanguageModel:Endpoint</c> points at it; nothing in the server is substituted). The flow: Compose Text, fully
/// bound, then Echo whose required <c>message</c> has no binding and no same-named metadata key or earlier output field,
/// so only the model can fill it.
/// </summary>
public sealed class PreparationWithModelTests : IClassFixture<ModelFactory>
{
    private const string Instructions = "Greet Ada warmly";
    private readonly ModelFactory _factory;

    public PreparationWithModelTests(ModelFactory factory)
    {
        _factory = factory;
        factory.Model.Reset();
    }

    private OpenAiServer Model => _factory.Model;

    /// <summary>What a good model would answer: the greeting Compose Text produced, read from the prompt's ancestor results.</summary>
    private static Reply GreetingFromAncestor() => Reply.Answer(new JsonObject
    {
        ["parameters"] = new JsonArray(new JsonObject
        {
            ["name"] = "message",
            ["value"] = "Hello, Ada!",
            ["explanation"] = "the text task 0 composed",
        }),
    });

    private static Reply WrongType() => Reply.Answer("""{"parameters": [{"name": "message", "value": 42, "explanation": "a number"}, {"name": "invented", "value": 1, "explanation": "?"}]}""");

    private async Task<(HttpClient Client, string RunId)> StartRunAsync() =>
        await StartRunAsync(null);

    private async Task<(HttpClient Client, string RunId)> StartRunAsync(Action<TestTenant>? seeTenant)
    {
        var (client, tenant) = await ClientAsync(_factory);
        seeTenant?.Invoke(tenant);
        var compose = await _factory.TaskDefinitionIdAsync("core", "Compose Text");
        var echo = await _factory.TaskDefinitionIdAsync("core", "Echo");
        var flowId = await CreateFlowAsync(
            client,
            "Greeting",
            [
                new Op(0, compose, new { template = "Hello, {name}!", values = new { name = "{{request.name}}" } }, "Write the greeting"),
                new Op(1, echo, Instruction: "Send the greeting written before"),
            ],
            [(0, 1)]);
        var requestId = await CreateRequestAsync(client, flowId, Instructions, name: "Ada", metadata: new[] { new { tone = "warm" } });
        return (client, await CreateRunAsync(client, flowId, requestId));
    }

    private static JsonArray Messages(JsonNode task) => task["task_prep_prompt"]!["messages"]!.AsArray();

    private static JsonObject AnswerFor(JsonNode task, string name) =>
        task["task_prep_answer"]!["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == name)!.AsObject();

    [Fact]
    public async Task Execute_InputOnlyTheModelCanFill_RunCompletesWithPromptAnswerAndTokens()
    {
        Model.Enqueue(GreetingFromAncestor());
        TestTenant? tenant = null;
        var (client, runId) = await StartRunAsync(t => tenant = t);

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        var echo = TaskRun(run, 1);
        // Analytics names the model that prepared the run (the stand-in answers as the configured model).
        var rows = await (await client.GetAsync($"/api/v1/analytics/org/{tenant!.OrganizationId}/flows/{run["flow"]!.GetValue<string>()}")).ReadJsonAsync();
        Assert.Equal(OpenAiServer.ModelName, Assert.Single(rows.AsArray())!["llms"]!.GetValue<string>());
        Assert.Equal("Hello, Ada!", echo["result"]!["message"]!.GetValue<string>());

        // Exactly what was sent, once: the fully bound Compose Text asked nothing.
        var asked = Assert.Single(Model.Requests);
        Assert.Equal("task_parameters", asked.SchemaName);
        var messages = Messages(echo);
        Assert.Equal(asked.Messages.Select(m => (m.Role, m.Content)), messages.Select(m => (m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>())));
        var user = messages[1]!["content"]!.GetValue<string>();
        foreach (var expected in new[] { Instructions, "Name: Ada", "\"tone\":\"warm\"", "Write the greeting", "Send the greeting written before", "- 0 -> 1", "message (string, required)", "task 0 (op0): {\"text\":\"Hello, Ada!\"}" })
            Assert.Contains(expected, user, StringComparison.Ordinal);
        Assert.Null(TaskRun(run, 0)["task_prep_prompt"]); // nothing was left open, nothing was sent

        Assert.Equal("the text task 0 composed", AnswerFor(echo, "message")["explanation"]!.GetValue<string>());
        Assert.Equal("not resolved; the task's default applies", AnswerFor(echo, "data")["explanation"]!.GetValue<string>());
        Assert.StartsWith("binding", AnswerFor(TaskRun(run, 0), "template")["explanation"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Equal(Model.PromptTokensSent, echo["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(Model.CompletionTokensSent, echo["completion_tokens"]!.GetValue<long>());
        Assert.True(Model.PromptTokensSent > 0);
        Assert.Equal(0, TaskRun(run, 0)["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(Model.PromptTokensSent + Model.CompletionTokensSent, run["total_tokens"]!.GetValue<long>());

        Assert.DoesNotContain(Model.ApiKey, run.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Model.ApiKey, _factory.ReadLog(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_InvalidAnswerThenValid_ReasksOnceWithTheProblemsAndRecordsTheExchange()
    {
        Model.Enqueue(WrongType());
        Model.Enqueue(GreetingFromAncestor());
        var (client, runId) = await StartRunAsync();

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        var echo = TaskRun(run, 1);
        Assert.Equal("Hello, Ada!", echo["result"]!["message"]!.GetValue<string>());
        Assert.Equal(2, Model.Requests.Count);
        var messages = Messages(echo);
        Assert.Equal(["system", "user", "assistant", "user"], messages.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Contains("\"value\": 42", messages[2]!["content"]!.GetValue<string>(), StringComparison.Ordinal);
        var reask = messages[3]!["content"]!.GetValue<string>();
        Assert.Contains("'message' must be of type string, not number", reask, StringComparison.Ordinal);
        Assert.Contains("'invented' is not one of the unresolved parameters", reask, StringComparison.Ordinal);
        Assert.Equal(Model.Requests[1].Messages.Select(m => m.Content), messages.Select(m => m!["content"]!.GetValue<string>()));
        Assert.Equal(Model.PromptTokensSent, echo["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(Model.CompletionTokensSent, echo["completion_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task Execute_AnswerInvalidTwice_TaskFailsWithTheReasons()
    {
        Model.Enqueue(WrongType());
        Model.Enqueue(WrongType());
        var (client, runId) = await StartRunAsync();

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Failed, Status(run));
        var echo = TaskRun(run, 1);
        Assert.Equal(RunStatus.Failed, Status(echo));
        var error = echo["error"]!.GetValue<string>();
        Assert.Contains("invalid twice", error, StringComparison.Ordinal);
        Assert.Contains("'message' must be of type string, not number", error, StringComparison.Ordinal);
        Assert.Equal(1, echo["attempt"]!.GetValue<int>()); // permanent: not retried
        Assert.Equal(2, Model.Requests.Count);
        Assert.Equal(4, Messages(echo).Count);
        Assert.True(echo["prompt_tokens"]!.GetValue<long>() > 0);
    }

    [Fact]
    public async Task Execute_ModelTimesOutThenRateLimits_TaskIsRetriedAndTheRunCompletes()
    {
        Model.Enqueue(Reply.After(TimeSpan.FromSeconds(ModelFactory.TimeoutSeconds + 3)));
        // An endpoint that echoes the credential in its error: the key must go no further.
        Model.Enqueue(Reply.Fail(429, retryAfterSeconds: 1, message: $"Rate limit reached for key {Model.ApiKey}"));
        Model.Enqueue(GreetingFromAncestor());
        var (client, runId) = await StartRunAsync();

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        var echo = TaskRun(run, 1);
        Assert.Equal("Hello, Ada!", echo["result"]!["message"]!.GetValue<string>());
        Assert.Equal(3, echo["attempt"]!.GetValue<int>());
        Assert.Equal(3, Model.Requests.Count);
        Assert.Equal(2, Messages(echo).Count);
        Assert.DoesNotContain(Model.ApiKey, run.ToJsonString(), StringComparison.Ordinal);
        var log = _factory.ReadLog();
        Assert.Contains("429", log, StringComparison.Ordinal);
        Assert.DoesNotContain(Model.ApiKey, log, StringComparison.Ordinal);
    }
}
