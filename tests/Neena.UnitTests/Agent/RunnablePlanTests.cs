using System.Text.Json.Nodes;
using Neena.Agent.Planning;
using Neena.Domain.Catalogue;

namespace Neena.UnitTests.Agent;

/// <summary>
/// §6 without a model: inputs nested in the metadata (a webhook's payload) are bound by path, and a plan that leaves a
/// required input to nothing is refused naming the task and the input.
/// </summary>
public sealed class RunnablePlanTests
{
    private static readonly PlannerOptions Options = new() { SimilarityThreshold = 0.2, RelativeThreshold = 0.7 };

    private static ParameterDefinition P(string name, string type = "string", bool optional = false, int position = 1) => new(name, type, position, $"the {name}", optional);

    private static readonly PlanCandidate Compose = new(Guid.NewGuid(), "Compose Text", "core", "Composes text", [P("template"), P("values", "object", optional: true, position: 2)], [P("text")], false, 0.45);

    private static readonly PlanCandidate Echo = new(Guid.NewGuid(), "Echo", "core", "Returns its message", [P("message"), P("data", "object", optional: true, position: 2)], [P("message"), P("data", "object", optional: true)], false, 0.4);

    private static PlanningRequest Request(string metadata) => new("Send a greeting composed from the event", "greetings", JsonNode.Parse(metadata)!.AsArray());

    [Fact]
    public void Plan_FieldsNestedInTheMetadata_AreBoundByTheirPath()
    {
        var request = Request("""[{"payload": {"event": {"template": "deep, not taken"}, "template": "Hello, {name}!", "values": {"name": "Ada"}}}]""");

        var plan = DataFlowPlanner.Plan(request, [Compose, Echo], Options, out _)!;

        var compose = plan.Flow.TaskOperations[0];
        Assert.Equal("Compose Text", compose.Name);
        // The shallowest field of the name wins.
        Assert.Equal("{{request.metadata.payload.template}}", compose.Parameters!["template"]!.GetValue<string>());
        Assert.Equal("{{request.metadata.payload.values}}", compose.Parameters!["values"]!.GetValue<string>());
        Assert.Equal("{{tasks.0.result.text}}", plan.Flow.TaskOperations[1].Parameters!["message"]!.GetValue<string>());
        Assert.Contains("the request metadata's 'payload.template'", plan.Explanation);
        Assert.Empty(RunnablePlan.UnfilledInputs(plan.Flow, [Compose, Echo], request.Metadata));
    }

    [Fact]
    public void Plan_TopLevelKeyBeatsANestedOne_AndALaterObjectsKeyIsNeverFollowed()
    {
        // "payload" of the second object is unreachable: {{request.metadata.payload…}} reads the first object holding it.
        var request = Request("""[{"template": "top"}, {"payload": {"values": {}}}, {"payload": {"values": {"x": 1}}}]""");

        var plan = DataFlowPlanner.Plan(request, [Compose], Options, out _)!;

        Assert.Equal("{{request.metadata.template}}", plan.Flow.TaskOperations[0].Parameters!["template"]!.GetValue<string>());
        Assert.Equal("{{request.metadata.payload.values}}", plan.Flow.TaskOperations[0].Parameters!["values"]!.GetValue<string>());
    }

    [Fact]
    public void UnfilledInputs_RequiredInputNothingFills_NamesTheTaskAndTheInput()
    {
        var request = Request("""[{"payload": {"name": "Ada"}}]""");
        var plan = DataFlowPlanner.Plan(request, [Compose, Echo], Options, out _)!;

        var problems = RunnablePlan.UnfilledInputs(plan.Flow, [Compose, Echo], request.Metadata);

        var problem = Assert.Single(problems); // values is optional; Echo's message comes from Compose Text's text
        Assert.StartsWith("task 'Compose Text' (operation 0) needs its required input 'template' (string), and nothing fills it", problem);
        Assert.StartsWith("the planned flow could not run without a language model: task 'Compose Text' (operation 0)", RunnablePlan.Refusal(problems));
    }

    [Fact]
    public void UnfilledInputs_AKeyPreparationMatchesByName_CountsAsFilled()
    {
        // A key no binding can name ("Template." holds a dot) is still matched at preparation, where names compare without
        // case and punctuation.
        var request = Request("""[{"Template.": "Hello"}]""");
        var plan = DataFlowPlanner.Plan(request, [Compose], Options, out _)!;

        Assert.Null(plan.Flow.TaskOperations[0].Parameters);
        Assert.Empty(RunnablePlan.UnfilledInputs(plan.Flow, [Compose], request.Metadata));
    }
}
