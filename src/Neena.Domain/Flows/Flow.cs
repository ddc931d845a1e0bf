using System.Text.Json.Nodes;
using Neena.Domain.Common;

namespace Neena.Domain.Flows;

/// <summary>A DAG of task operations joined by dependencies (the target runs after the source).</summary>
public sealed class Flow : ITenantOwned, IAudited, ISoftDeletable, IHasId
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public required string Name { get; set; }
    public List<TaskOperation> TaskOperations { get; set; } = [];
    public List<TaskDependency> Dependencies { get; set; } = [];

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
    public DateTime? DeletedAt { get; set; }
}

public sealed class TaskOperation : IAudited
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid FlowId { get; set; }
    public required string Name { get; set; }
    public Guid TaskDefinitionId { get; set; }
    public string? Instruction { get; set; }
    public double? X { get; set; }
    public double? Y { get; set; }
    public int Index { get; set; }

    /// <summary>Position in the flow's topological order (Kahn's algorithm, ties broken by <see cref="Index"/>).</summary>
    public int SortedIndex { get; set; }

    /// <summary>Explicit bindings of the task's input parameters: literals or <c>{{ … }}</c> references.</summary>
    public JsonObject? Parameters { get; set; }

    /// <summary>The organization's credential the task uses; null means the newest one for the task's integration.</summary>
    public Guid? IntegrationCredentialId { get; set; }

    /// <summary>When it runs given its incoming edges (issue 20): <see cref="TaskJoin.All"/> taken, or <see cref="TaskJoin.Any"/>.</summary>
    public string Join { get; set; } = TaskJoin.All;

    /// <summary>When it fails for good, the run goes on (issue 20).</summary>
    public bool ContinueOnFailure { get; set; }

    /// <summary>One binding to a JSON array: the task runs once per item (issue 20); null runs it once.</summary>
    public string? ForEach { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
}

public sealed class TaskDependency
{
    public const int MaxInstructionLength = 512;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid FlowId { get; set; }
    public int SourceTaskOperation { get; set; }
    public int TargetTaskOperation { get; set; }
    public string? Instruction { get; set; }

    /// <summary>Whether the edge is taken, decided once when the source ends (<see cref="DependencyCondition"/>); null: always taken.</summary>
    public JsonObject? Condition { get; set; }
}

/// <summary>The values of <see cref="TaskOperation.Join"/>.</summary>
public static class TaskJoin
{
    public const string All = "all";
    public const string Any = "any";

    public static readonly IReadOnlyList<string> Values = [All, Any];
}
