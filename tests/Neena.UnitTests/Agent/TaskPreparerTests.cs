using System.Text.Json.Nodes;
using Neena.Agent.LanguageModel;
using Neena.Agent.Preparation;
using Neena.Domain.Catalogue;
using Neena.Domain.FlowRuns;
using Neena.Engine;

namespace Neena.UnitTests.Agent;

public sealed class TaskPreparerTests
{
    private static readonly FlowRequestInfo Request = new(
        "Say hello to the team",
        "greeting",
        new JsonArray(new JsonObject { ["channel"] = "#general" }, new JsonObject { ["channel"] = "#other", ["userName"] = "ada", ["count"] = 3 }));

    private static TaskDefinitionInfo Definition(params ParameterDefinition[] parameters) => new("Echo", "Returns its input.", parameters);

    private static ParameterDefinition Required(string name, string type = "string", int position = 1) => new(name, type, position, $"the {name}", false);

    private static ParameterDefinition Optional(string name, string type = "string", int position = 2) => new(name, type, position, $"the {name}", true);

    private static TaskRun Task(int index, JsonObject? parameters = null, int[]? dependsOn = null, string status = RunStatus.Pending, JsonNode? result = null) => new()
    {
        TaskOperationIndex = index,
        OperationName = $"op{index}",
        Instruction = $"do step {index}",
        Parameters = parameters,
        DependsOn = [.. dependsOn ?? []],
        SortedIndex = index,
        Status = status,
        Result = result,
    };

    private static Task<PreparedTask> PrepareAsync(TaskRun task, TaskDefinitionInfo definition, IEnumerable<TaskRun>? others = null) =>
        new TaskPreparer().PrepareAsync(new PreparationRequest(Request, "My flow", task, definition, [.. others ?? [], task]), CancellationToken.None);

    private static JsonObject AnswerFor(PreparedTask prepared, string name) =>
        prepared.Answer["parameters"]!.AsArray().Select(p => p!.AsObject()).Single(p => p["name"]!.GetValue<string>() == name);

    [Fact]
    public async Task Literal_bindings_are_kept_with_their_type()
    {
        var task = Task(0, new JsonObject { ["message"] = "hi", ["data"] = new JsonObject { ["n"] = 1, ["list"] = new JsonArray(true, 2.5) } });
        var prepared = await PrepareAsync(task, Definition(Required("message"), Optional("data", "object")));

        Assert.Null(prepared.Error);
        Assert.Equal("hi", prepared.Input["message"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"n":1,"list":[true,2.5]}"""), prepared.Input["data"]));
        Assert.Equal("binding literal", AnswerFor(prepared, "message")["explanation"]!.GetValue<string>());
    }

    [Fact]
    public async Task Request_references_resolve_and_interpolate()
    {
        var task = Task(0, new JsonObject
        {
            ["message"] = "{{request.name}}: {{request.instructions}} on {{request.metadata.channel}}",
            ["data"] = "{{request.metadata.count}}",
        });
        var prepared = await PrepareAsync(task, Definition(Required("message"), Optional("data", "object")));

        Assert.Null(prepared.Error);
        // The first metadata object holding the key wins.
        Assert.Equal("greeting: Say hello to the team on #general", prepared.Input["message"]!.GetValue<string>());
        // Exactly one reference keeps the JSON type: a number stays a number.
        Assert.Equal(System.Text.Json.JsonValueKind.Number, prepared.Input["data"]!.GetValueKind());
        Assert.Equal(3, prepared.Input["data"]!.GetValue<int>());
        Assert.Contains("{{request.metadata.count}}", AnswerFor(prepared, "data")["explanation"]!.GetValue<string>());
    }

    [Fact]
    public async Task Task_result_references_follow_dot_paths_and_keep_types()
    {
        var source = Task(0, status: RunStatus.Completed, result: JsonNode.Parse("""{"message":"hello","items":[{"id":7},{"id":8}],"obj":{"a":[1,2]}}"""));
        var task = Task(1, new JsonObject
        {
            ["message"] = "got {{tasks.0.result.message}} and {{tasks.0.result.obj}}",
            ["data"] = new JsonObject
            {
                ["second"] = "{{tasks.0.result.items.1.id}}",
                ["obj"] = "{{tasks.0.result.obj}}",
                ["all"] = new JsonArray("{{tasks.0.result}}"),
            },
        }, [0]);
        var prepared = await PrepareAsync(task, Definition(Required("message"), Optional("data", "object")), [source]);

        Assert.Null(prepared.Error);
        Assert.Equal("""got hello and {"a":[1,2]}""", prepared.Input["message"]!.GetValue<string>());
        var data = prepared.Input["data"]!.AsObject();
        Assert.Equal(8, data["second"]!.GetValue<int>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":[1,2]}"""), data["obj"]));
        Assert.True(JsonNode.DeepEquals(source.Result, data["all"]![0]));
        Assert.Contains("{{tasks.0.result.items.1.id}}", AnswerFor(prepared, "data")["explanation"]!.GetValue<string>());
    }

    [Fact]
    public async Task Missing_reference_targets_fail_with_a_clear_error()
    {
        var source = Task(0, status: RunStatus.Completed, result: new JsonObject { ["message"] = "x" });
        var task = Task(1, new JsonObject { ["message"] = "{{tasks.0.result.nope}}", ["data"] = "{{request.metadata.absent}}" }, [0]);
        var prepared = await PrepareAsync(task, Definition(Required("message"), Optional("data", "object")), [source]);

        Assert.NotNull(prepared.Error);
        Assert.Contains("parameter 'message'", prepared.Error);
        Assert.Contains("nothing at 'nope'", prepared.Error);
        Assert.Contains("no request metadata object has the key 'absent'", prepared.Error);
    }

    [Fact]
    public async Task Unresolved_parameters_match_metadata_then_the_latest_ancestor_results()
    {
        var grandparent = Task(0, status: RunStatus.Completed, result: new JsonObject { ["message"] = "far", ["user_name"] = "from result" });
        var parent = Task(1, dependsOn: [0], status: RunStatus.Completed, result: new JsonObject { ["Message"] = "near", ["flag"] = true });
        var task = Task(3, dependsOn: [1]);
        var definition = Definition(Required("message"), Required("user_name", position: 2), Required("flag", "boolean", 3));

        var prepared = await PrepareAsync(task, definition, [grandparent, parent]);

        Assert.Null(prepared.Error);
        Assert.Equal("near", prepared.Input["message"]!.GetValue<string>());
        Assert.Equal("result of task 1 (op1), field 'Message'", AnswerFor(prepared, "message")["explanation"]!.GetValue<string>());
        // Metadata comes before results; userName matches user_name whatever the casing convention.
        Assert.Equal("ada", prepared.Input["user_name"]!.GetValue<string>());
        Assert.Equal("request metadata key 'userName'", AnswerFor(prepared, "user_name")["explanation"]!.GetValue<string>());
        Assert.True(prepared.Input["flag"]!.GetValue<bool>());
    }

    [Fact]
    public async Task PrepareAsync_CompletedTaskIsNotAnAncestor_IsNeitherMatchedNorShown()
    {
        // A parallel branch that happened to finish first: using it would make the input depend on timing.
        var root = Task(0, status: RunStatus.Completed, result: new JsonObject { ["message"] = "root" });
        var sibling = Task(1, dependsOn: [0], status: RunStatus.Completed, result: new JsonObject { ["other"] = "sibling output" });
        var task = Task(2, dependsOn: [0]);

        var prepared = await PrepareAsync(task, Definition(Required("message"), Required("other", position: 2)), [root, sibling]);

        Assert.Equal("root", prepared.Input["message"]!.GetValue<string>());
        Assert.False(prepared.Input.ContainsKey("other"));
        Assert.NotNull(prepared.Error);
        Assert.Contains("required parameter 'other'", prepared.Error);
        Assert.DoesNotContain("sibling output", prepared.Prompt!["messages"]![1]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task PrepareAsync_TwoAncestorsHaveTheField_TheLatestBySortedIndexWinsWhateverTheListOrder()
    {
        // A diamond: 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3. Branches 1 and 2 are both parents of 3 and both return "message".
        var root = Task(0, status: RunStatus.Completed, result: new JsonObject { ["message"] = "root" });
        var left = Task(1, dependsOn: [0], status: RunStatus.Completed, result: new JsonObject { ["message"] = "left" });
        var right = Task(2, dependsOn: [0], status: RunStatus.Completed, result: new JsonObject { ["message"] = "right" });
        var join = Task(3, dependsOn: [1, 2]);

        foreach (var order in new[] { new[] { root, left, right }, [right, left, root], [left, root, right] })
        {
            var prepared = await PrepareAsync(join, Definition(Required("message")), order);

            Assert.Null(prepared.Error);
            Assert.Equal("right", prepared.Input["message"]!.GetValue<string>());
            Assert.Equal("result of task 2 (op2), field 'message'", AnswerFor(prepared, "message")["explanation"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Optional_parameters_match_metadata_but_not_earlier_results()
    {
        var parent = Task(0, status: RunStatus.Completed, result: new JsonObject { ["headers"] = new JsonObject { ["a"] = "b" }, ["message"] = "m" });
        var task = Task(1, dependsOn: [0]);
        var prepared = await PrepareAsync(task, Definition(Required("message"), Optional("headers", "object"), Optional("channel", position: 3)), [parent]);

        Assert.Null(prepared.Error);
        Assert.Equal("m", prepared.Input["message"]!.GetValue<string>());
        Assert.False(prepared.Input.ContainsKey("headers"));
        Assert.Equal("#general", prepared.Input["channel"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_required_parameter_left_unresolved_fails_and_is_named()
    {
        var prepared = await PrepareAsync(Task(0), Definition(Required("template"), Optional("values", "object")));

        Assert.NotNull(prepared.Error);
        Assert.Contains("required parameter 'template'", prepared.Error);
        Assert.DoesNotContain("'values'", prepared.Error);
        Assert.False(prepared.Input.ContainsKey("values"));
        var values = AnswerFor(prepared, "values");
        Assert.Null(values["value"]);
        Assert.Contains("default", values["explanation"]!.GetValue<string>());
    }

    [Fact]
    public async Task Prompt_describes_request_flow_operation_definition_and_earlier_outputs()
    {
        var source = Task(0, status: RunStatus.Completed, result: new JsonObject { ["message"] = "earlier output" });
        var task = Task(1, new JsonObject { ["message"] = "x" }, [0]);
        var prepared = await PrepareAsync(task, Definition(Required("message"), Optional("data", "object")), [source]);

        var messages = prepared.Prompt!["messages"]!.AsArray();
        Assert.Equal(["system", "user"], messages.Select(m => m!["role"]!.GetValue<string>()));
        var user = messages[1]!["content"]!.GetValue<string>();
        foreach (var expected in new[] { "Say hello to the team", "greeting", "#general", "My flow", "op1", "do step 1", "Echo", "Returns its input.", "message (string, required)", "earlier output" })
            Assert.Contains(expected, user);
    }

    [Fact]
    public void Validate_AnswerFitsTheParameters_ReturnsTheValuesWithExplanations()
    {
        var answer = Answer("""{"parameters": [{"name": "message", "value": "hi", "explanation": "from the request"}, {"name": "count", "value": 2, "explanation": "two"}]}""");
        var (values, problems) = ModelAnswerValidator.Validate(answer, [Required("message"), Required("count", "integer"), Optional("data", "object")]);

        Assert.Empty(problems);
        Assert.Equal(["message", "count"], values.Select(v => v.Name));
        Assert.Equal("from the request", values[0].Explanation);
    }

    [Fact]
    public void Validate_WrongTypesUnknownNamesAndMissingRequired_ListsEveryProblem()
    {
        var answer = Answer("""{"parameters": [{"name": "count", "value": 1.5, "explanation": ""}, {"name": "invented", "value": 1, "explanation": ""}, {"name": "flag", "value": "yes", "explanation": ""}]}""");
        var (_, problems) = ModelAnswerValidator.Validate(answer, [Required("message"), Required("count", "integer"), Required("flag", "boolean")]);

        Assert.Contains(problems, p => p.Contains("'count' must be of type integer", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'invented' is not one of the unresolved parameters", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'flag' must be of type boolean", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("required parameter 'message' (string) has no value", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NotJson_ReportsWhy()
    {
        var (values, problems) = ModelAnswerValidator.Validate(Answer("sorry, I cannot"), [Required("message")]);
        Assert.Empty(values);
        Assert.Contains("not valid JSON", Assert.Single(problems), StringComparison.Ordinal);
    }

    private static ModelAnswer Answer(string text) => ModelAnswer.From(text, TokenUsage.None);

    [Fact]
    public async Task A_malformed_reference_fails()
    {
        var prepared = await PrepareAsync(Task(0, new JsonObject { ["message"] = "{{request.unknown}}" }), Definition(Required("message")));
        Assert.NotNull(prepared.Error);
        Assert.Contains("unknown reference", prepared.Error);
    }

    [Theory]
    [InlineData("userName", "user_name")]
    [InlineData("UserName", "username")]
    [InlineData("user-name", "USER_NAME")]
    public void Name_keys_ignore_casing_conventions(string a, string b) => Assert.Equal(NameMatcher.NameKey(a), NameMatcher.NameKey(b));

    [Fact]
    public void Backoff_grows_exponentially_with_jitter_and_is_capped()
    {
        var options = new EngineOptions { RetryBaseDelayMilliseconds = 100, RetryMaxDelayMilliseconds = 1000 };
        for (var i = 0; i < 50; i++)
        {
            var first = TaskAttempt.Backoff(1, options).TotalMilliseconds;
            Assert.InRange(first, 50, 100);
            var third = TaskAttempt.Backoff(3, options).TotalMilliseconds;
            Assert.InRange(third, 200, 400);
            Assert.InRange(TaskAttempt.Backoff(30, options).TotalMilliseconds, 500, 1000);
        }
    }

    [Fact]
    public void Options_validation_names_bad_settings()
    {
        Assert.Null(new EngineOptions().Validate());
        Assert.Contains("MaxAttempts", new EngineOptions { MaxAttempts = 0 }.Validate());
        Assert.Contains("LeaseSeconds", new EngineOptions { LeaseSeconds = 0 }.Validate());
        Assert.NotEqual(new EngineOptions().InstanceId, new EngineOptions().InstanceId);
    }
}
