using System.Text.Json.Nodes;

namespace Neena.Domain.Flows;

/// <summary>A flow to create: its name and its graph, checked against the catalogue and the organization's credentials when created.</summary>
public sealed record NewFlow(string Name, IReadOnlyList<NewTaskOperation> TaskOperations, IReadOnlyList<NewTaskDependency> Dependencies)
{
    /// <summary>Drawn by a person (<c>POST /flows</c>) rather than planned; false unless the caller says so, so a planner's flow never claims it.</summary>
    public bool CreatedByHuman { get; init; }
}

/// <summary>One step of a <see cref="NewFlow"/>; bindings and dependencies refer to it by <see cref="Index"/>.</summary>
public sealed record NewTaskOperation(
    int Index,
    string Name,
    Guid TaskDefinition,
    string? Instruction,
    double? X,
    double? Y,
    JsonObject? Parameters,
    Guid? IntegrationCredential,
    string Join = TaskJoin.All,
    bool ContinueOnFailure = false,
    string? ForEach = null);

/// <summary>The target operation runs after the source operation has completed.</summary>
public sealed record NewTaskDependency(int SourceTaskOperation, int TargetTaskOperation, string? Instruction, JsonObject? Condition = null);
