using System.Text.Json.Nodes;
using Neena.Api.Contracts.Flows;
using Neena.Domain.Catalogue;
using Neena.Engine.LanguageModel;

namespace Neena.Api.Services.Generation;

/// <summary>The request a flow is planned for: a stored flow request's fields, or the bare text of <c>?request=</c>.</summary>
public sealed record PlanningRequest(string Instructions, string? Name, JsonArray Metadata);

/// <summary>A task definition offered to the planner, with its similarity to the request.</summary>
public sealed record PlanCandidate(
    Guid TaskDefinition,
    string TaskName,
    string Integration,
    string Description,
    IReadOnlyList<ParameterDefinition> Parameters,
    IReadOnlyList<ParameterDefinition> Outputs,
    bool OutputIsList,
    double Similarity);

/// <summary>A valid flow draft (the body of <c>POST /flows</c>), why it looks like this, and what planning it cost.</summary>
public sealed record PlannedFlow(FlowBody Flow, string Explanation, TokenUsage Usage, string Planner, string? Model)
{
    public const string ModelPlanner = "model";
    public const string DataFlowPlanner = "data_flow";
}
