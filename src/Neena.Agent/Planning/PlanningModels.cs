using System.Text.Json.Nodes;
using Neena.Agent.LanguageModel;
using Neena.Domain.Catalogue;
using Neena.Domain.Flows;

namespace Neena.Agent.Planning;

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

/// <summary>
/// A planned flow in the shape of the body of <c>POST /flows</c>: the host that owns that contract turns it into the body
/// (and a model's answer into a draft, <see cref="IFlowDraftReader"/>).
/// </summary>
public sealed record FlowDraft(string Name, IReadOnlyList<OperationDraft> TaskOperations, IReadOnlyList<DependencyDraft> Dependencies);

/// <summary>One operation of a <see cref="FlowDraft"/>. Which credential it acts with is never the planner's choice.</summary>
public sealed record OperationDraft(
    string Name, Guid TaskDefinition, string? Instruction, double? X, double? Y, int Index, JsonObject? Parameters,
    string Join = TaskJoin.All, bool ContinueOnFailure = false, string? ForEach = null);

/// <summary>One dependency of a <see cref="FlowDraft"/>, by operation index.</summary>
public sealed record DependencyDraft(int SourceTaskOperation, int TargetTaskOperation, string? Instruction, JsonObject? Condition = null);

/// <summary>A valid flow draft, why it looks like this, and what planning it cost.</summary>
public sealed record PlannedFlow(FlowDraft Flow, string Explanation, TokenUsage Usage, string Planner, string? Model)
{
    public const string ModelPlanner = "model";
    public const string DataFlowPlanner = "data_flow";
}

/// <summary>
/// Reads a model's <c>flow</c> answer as the body of <c>POST /flows</c> and checks it with exactly that endpoint's rules.
/// Implemented by the host that owns the flow contract (the Api), so that a planned flow is valid where it is saved.
/// </summary>
public interface IFlowDraftReader
{
    /// <returns>The draft, or null with the problems phrased for the re-ask (<c>location: reason</c>).</returns>
    Task<(FlowDraft? Draft, IReadOnlyList<string> Problems)> ReadAsync(JsonObject answer, CancellationToken cancellationToken);
}

/// <summary>Nothing in the catalogue fits the request (the Api answers 422 with <see cref="Exception.Message"/>).</summary>
public class NothingFitsException(string message) : Exception(message);

/// <summary>
/// What fits the request would not run: a required input that nothing fills (§6, <see cref="RunnablePlan"/>). Answered as
/// its base is, 422 with the message, which names each task and input.
/// </summary>
public sealed class UnrunnablePlanException(string message) : NothingFitsException(message);
