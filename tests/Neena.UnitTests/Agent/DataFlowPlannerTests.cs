using System.Text.Json.Nodes;
using Neena.Agent.Planning;
using Neena.Domain.Catalogue;

namespace Neena.UnitTests.Agent;

public sealed class DataFlowPlannerTests
{
    private static readonly PlannerOptions Options = new() { SimilarityThreshold = 0.2, RelativeThreshold = 0.7 };

    private static ParameterDefinition P(string name, string type = "string", bool optional = false, int position = 1) => new(name, type, position, $"the {name}", optional);

    private static PlanCandidate Task(string name, double similarity, ParameterDefinition[] inputs, ParameterDefinition[] outputs) =>
        new(Guid.NewGuid(), name, "test", $"{name} does things", inputs, outputs, false, similarity);

    private static PlanningRequest Request(string? name = null, JsonArray? metadata = null) => new("Do the thing for the user", name, metadata ?? []);

    [Fact]
    public void Plan_ConsumerMoreSimilarThanProducer_StillRunsAfterItWithAnExactBinding()
    {
        var send = Task("Send", 0.5, [P("user_id")], [P("receipt")]);
        var lookup = Task("Lookup", 0.4, [P("email")], [P("userId")]);

        var plan = DataFlowPlanner.Plan(Request(), [send, lookup], Options, out _)!;

        var ops = plan.Flow.TaskOperations!;
        Assert.Equal(["Lookup", "Send"], ops.Select(o => o!.Name));
        Assert.Equal("{{tasks.0.result.userId}}", ops[1]!.Parameters!["user_id"]!.GetValue<string>());
        var dependency = Assert.Single(plan.Flow.Dependencies!);
        Assert.Equal((0, 1), (dependency.SourceTaskOperation, dependency.TargetTaskOperation));
        Assert.Contains("Lookup's email", plan.Explanation); // left for preparation
    }

    [Fact]
    public void Plan_EchoOutput_IsNeverWiredByTypeAlone()
    {
        // Echo returns its input: its "message" output is no new data, so Compose does not take its template from it.
        var echo = Task("Echo", 0.5, [P("message")], [P("message")]);
        var compose = Task("Compose", 0.45, [P("template"), P("values", "object", optional: true, position: 2)], [P("text")]);

        var plan = DataFlowPlanner.Plan(Request(), [echo, compose], Options, out _)!;

        var ops = plan.Flow.TaskOperations!;
        Assert.Equal(["Compose", "Echo"], ops.Select(o => o!.Name));
        Assert.Null(ops[0]!.Parameters);
        Assert.Equal("{{tasks.0.result.text}}", ops[1]!.Parameters!["message"]!.GetValue<string>());
    }

    [Fact]
    public void Plan_RequestMetadataAndName_BindInputsOfTheSameName()
    {
        var greet = Task("Greet", 0.6, [P("name"), P("Template", position: 2), P("count", "integer", optional: true, position: 3)], [P("text")]);

        var plan = DataFlowPlanner.Plan(Request(name: "Ada", metadata: [new JsonObject { ["template"] = "Hi {name}" }]), [greet], Options, out _)!;

        var parameters = plan.Flow.TaskOperations![0]!.Parameters!;
        Assert.Equal("{{request.name}}", parameters["name"]!.GetValue<string>());
        Assert.Equal("{{request.metadata.template}}", parameters["Template"]!.GetValue<string>());
        Assert.False(parameters.ContainsKey("count"));
        Assert.Empty(plan.Flow.Dependencies!);
        Assert.Equal("Ada", plan.Flow.Name);
    }

    [Fact]
    public void Plan_TypesMustFit_AnIntegerFeedsANumberButNotAString()
    {
        var count = Task("Count", 0.6, [], [P("total", "integer")]);
        var scale = Task("Scale", 0.55, [P("factor", "number")], [P("result", "number")]);
        var label = Task("Label", 0.5, [P("caption")], [P("label")]);

        var plan = DataFlowPlanner.Plan(Request(), [count, scale, label], Options, out _)!;

        var byName = plan.Flow.TaskOperations!.ToDictionary(o => o!.Name!);
        Assert.Equal($"{{{{tasks.{byName["Count"]!.Index}.result.total}}}}", byName["Scale"]!.Parameters!["factor"]!.GetValue<string>());
        Assert.Null(byName["Label"]!.Parameters);
    }

    [Fact]
    public void Plan_CandidatesBelowTheRelativeThreshold_AreLeftOut()
    {
        var strong = Task("Strong", 0.5, [], [P("x")]);
        var weak = Task("Weak", 0.3, [P("x")], [P("y")]); // 0.3 < 0.7 × 0.5

        var plan = DataFlowPlanner.Plan(Request(), [strong, weak], Options, out _)!;

        Assert.Equal(["Strong"], plan.Flow.TaskOperations!.Select(o => o!.Name));
        Assert.Equal(PlannedFlow.DataFlowPlanner, plan.Planner);
        Assert.Equal(0, plan.Usage.TotalTokens);
    }

    [Fact]
    public void Plan_NothingReachesTheThreshold_ReturnsNullSayingWhy()
    {
        var plan = DataFlowPlanner.Plan(Request(), [Task("Fly", 0.12, [], []), Task("Swim", 0.05, [], [])], Options, out var why);

        Assert.Null(plan);
        Assert.Equal("nothing in the catalogue fits the request: the most similar task, 'Fly', scores 0.12, below the threshold 0.20", why);
    }

    [Fact]
    public void Plan_EmptyCatalogue_ReturnsNull()
    {
        Assert.Null(DataFlowPlanner.Plan(Request(), [], Options, out var why));
        Assert.Contains("no task definitions", why);
    }

    [Fact]
    public void Plan_LongInstructionsWithoutName_GiveAShortFlowName()
    {
        var request = new PlanningRequest(string.Concat(Enumerable.Repeat("word ", 60)), null, []);

        var plan = DataFlowPlanner.Plan(request, [Task("One", 0.9, [], [])], Options, out _)!;

        Assert.True(plan.Flow.Name!.Length <= 80);
        Assert.EndsWith("…", plan.Flow.Name);
    }
}
