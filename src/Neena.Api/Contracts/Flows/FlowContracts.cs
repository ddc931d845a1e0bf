using System.Text.Json.Nodes;
using FluentValidation;
using Neena.Api.Contracts.Common;
using Neena.Api.Validation;
using Neena.Domain.Flows;

namespace Neena.Api.Contracts.Flows;

/// <summary>A flow: a DAG of task operations and the dependencies between them.</summary>
[InputSchema("FlowCreate")]
public record FlowBody
{
    /// <summary>1–200 characters.</summary>
    [ApiField(Required = true)]
    public string? Name { get; init; }

    /// <summary>At least one, at most 500; their <c>index</c> values are unique.</summary>
    [ApiField(Required = true)]
    public List<TaskOperationBody?>? TaskOperations { get; init; }

    /// <summary>Which operation runs after which, by <c>index</c>; no cycles.</summary>
    public List<TaskDependencyBody?>? Dependencies { get; init; }

    /// <summary>The flow as the create command takes it; only after the body's validator passed (required fields present).</summary>
    public NewFlow ToInput() => new(
        Name!,
        TaskOperations!.Select(o => new NewTaskOperation(
            o!.Index!.Value, o.Name!, o.TaskDefinition!.Value, o.Instruction, o.X, o.Y, o.Parameters, o.IntegrationCredential,
            o.Join ?? TaskJoin.All, o.ContinueOnFailure ?? false, o.ForEach)).ToList(),
        (Dependencies ?? []).Select(d => new NewTaskDependency(d!.SourceTaskOperation!.Value, d.TargetTaskOperation!.Value, d.Instruction, d.Condition)).ToList());
}

/// <summary>A full replacement of a flow: name, operations and dependencies.</summary>
[InputSchema("FlowUpdate")]
public sealed record UpdateFlowRequest : FlowBody
{
    /// <summary>The id of the flow to replace.</summary>
    [ApiField(Required = true)]
    public Guid? Id { get; init; }
}

/// <summary>One step of a flow: a task of the catalogue, with how its inputs are filled.</summary>
[InputSchema("TaskOperationCreate")]
public sealed record TaskOperationBody
{
    /// <summary>1–200 characters.</summary>
    [ApiField(Required = true)]
    public string? Name { get; init; }

    /// <summary>The id of a task definition (<c>GET /task_definitions/all</c>).</summary>
    [ApiField(Required = true)]
    public Guid? TaskDefinition { get; init; }

    /// <summary>What this step should do, in natural language (at most 4,000 characters).</summary>
    public string? Instruction { get; init; }

    /// <summary>Position in an editor; finite numbers.</summary>
    public double? X { get; init; }

    /// <summary>Position in an editor; finite numbers.</summary>
    public double? Y { get; init; }

    /// <summary>The operation's number within the flow (≥ 0, unique); dependencies and bindings refer to it.</summary>
    [ApiField(Required = true)]
    public int? Index { get; init; }

    /// <summary>
    /// Explicit bindings of the task's inputs, by parameter name: JSON literals, or strings with references
    /// (<c>{{request.instructions}}</c>, <c>{{request.name}}</c>, <c>{{request.metadata.KEY}}</c>,
    /// <c>{{tasks.INDEX.result.PATH}}</c> for an ancestor operation). Nested at most 32 levels in all.
    /// </summary>
    public JsonObject? Parameters { get; init; }

    /// <summary>
    /// The id of one of your organization's integration credentials (<c>GET /integration_credentials/all</c>) for the
    /// task definition's integration, which the task then acts with; null or left out: the newest one at run time.
    /// </summary>
    public Guid? IntegrationCredential { get; init; }

    /// <summary>
    /// When the operation runs given its incoming dependencies: <c>all</c> (the default) needs every one taken, <c>any</c> at
    /// least one; otherwise it ends <c>skipped</c>.
    /// </summary>
    [ApiField(ValuesOf = typeof(TaskJoin))]
    public string? Join { get; init; }

    /// <summary>When true, the run goes on after this task fails for good (default false).</summary>
    public bool? ContinueOnFailure { get; init; }

    /// <summary>
    /// Exactly one binding to a JSON array (<c>{{tasks.0.result.cards}}</c>, <c>{{request.metadata.items}}</c>): the task
    /// runs once per item. At most 4,000 characters.
    /// </summary>
    public string? ForEach { get; init; }
}

/// <summary>The target operation runs after the source operation has completed.</summary>
[InputSchema("TaskDependencyCreate")]
public sealed record TaskDependencyBody
{
    /// <summary>The <c>index</c> of the operation that runs first.</summary>
    [ApiField(Required = true)]
    public int? SourceTaskOperation { get; init; }

    /// <summary>The <c>index</c> of the operation that runs after it.</summary>
    [ApiField(Required = true)]
    public int? TargetTaskOperation { get; init; }

    /// <summary>At most 512 characters.</summary>
    public string? Instruction { get; init; }

    /// <summary>
    /// Whether the dependency is taken, decided once when the source ends: <c>{"any": [{"all": [{"left", "op", "right"}]}]}</c>
    /// (an OR of at most 20 ANDs of at most 20 tests). <c>left</c>/<c>right</c>: JSON literals or bindings, also
    /// <c>{{tasks.INDEX.status}}</c> and <c>{{tasks.INDEX.error}}</c>, naming ancestors of the target. <c>op</c>: eq, ne, gt,
    /// gte, lt, lte, contains, not_contains, starts_with, ends_with, exists, not_exists, is_empty, is_not_empty. Null: always taken.
    /// </summary>
    public JsonObject? Condition { get; init; }
}

/// <param name="CreatedByHuman">The original's flag: true for a flow created through <c>POST /flows</c> (a replacement through
/// <c>PUT /flows</c> keeps it), false for a generated one (<c>/flows/generate</c>, <c>generate_flow_and_execute</c>, a trigger's).</param>
[OutputSchema("Flow")]
public sealed record FlowResponse(
    Guid Id,
    string Name,
    IReadOnlyList<TaskOperationResponse> TaskOperations,
    IReadOnlyList<TaskDependencyResponse> Dependencies,
    Guid Organization,
    bool CreatedByHuman,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    string? CreatedByEmail,
    string? ModifiedByEmail,
    DateTime? DeletedAt)
{
    public static FlowResponse From(Flow flow) => new(
        flow.Id,
        flow.Name,
        flow.TaskOperations.OrderBy(o => o.SortedIndex).ThenBy(o => o.Index).Select(TaskOperationResponse.From).ToList(),
        flow.Dependencies.OrderBy(d => d.SourceTaskOperation).ThenBy(d => d.TargetTaskOperation).Select(TaskDependencyResponse.From).ToList(),
        flow.OrganizationId,
        flow.CreatedByHuman,
        flow.CreatedDate,
        flow.ModifiedDate,
        flow.CreatedByEmail,
        flow.ModifiedByEmail,
        flow.DeletedAt);
}

/// <param name="SortedIndex">The operation's place in a stable topological order of the flow (ties broken by <c>index</c>).</param>
/// <param name="IntegrationCredential">The credential the task acts with; null: the organization's newest for the task's integration.</param>
[OutputSchema("TaskOperation")]
public sealed record TaskOperationResponse(
    Guid Id,
    Guid Flow,
    string Name,
    Guid TaskDefinition,
    string? Instruction,
    double? X,
    double? Y,
    int Index,
    int SortedIndex,
    JsonObject? Parameters,
    Guid? IntegrationCredential,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    string? CreatedByEmail,
    string? ModifiedByEmail,
    string Join,
    bool ContinueOnFailure,
    string? ForEach)
{
    public static TaskOperationResponse From(TaskOperation o) => new(
        o.Id, o.FlowId, o.Name, o.TaskDefinitionId, o.Instruction, o.X, o.Y, o.Index, o.SortedIndex, o.Parameters, o.IntegrationCredentialId,
        o.CreatedDate, o.ModifiedDate, o.CreatedByEmail, o.ModifiedByEmail, o.Join, o.ContinueOnFailure, o.ForEach);
}

[OutputSchema("TaskDependency")]
public sealed record TaskDependencyResponse(Guid Id, Guid Flow, int SourceTaskOperation, int TargetTaskOperation, string? Instruction, JsonObject? Condition)
{
    public static TaskDependencyResponse From(TaskDependency d) => new(d.Id, d.FlowId, d.SourceTaskOperation, d.TargetTaskOperation, d.Instruction, d.Condition);
}

public class FlowBodyValidator<T> : AbstractValidator<T> where T : FlowBody
{
    public const int MaxOperations = 500;

    public FlowBodyValidator()
    {
        RuleFor(f => f.Name).NotNull().MinimumLength(1).MaximumLength(200);
        RuleFor(f => f.TaskOperations).NotNull().MaxItems(MaxOperations);
        RuleFor(f => f.Dependencies).MaxItems(MaxOperations * 4);
        RuleForEach(f => f.TaskOperations).NotNull().ChildRules(operation =>
        {
            operation.RuleFor(o => o!.Name).NotNull().MinimumLength(1).MaximumLength(200);
            operation.RuleFor(o => o!.TaskDefinition).NotNull();
            operation.RuleFor(o => o!.Index).NotNull().GreaterThanOrEqualTo(0);
            operation.RuleFor(o => o!.Instruction).MaximumLength(4000);
            operation.RuleFor(o => o!.ForEach).MaximumLength(4000);
        });
        RuleForEach(f => f.Dependencies).NotNull().ChildRules(dependency =>
        {
            dependency.RuleFor(d => d!.SourceTaskOperation).NotNull();
            dependency.RuleFor(d => d!.TargetTaskOperation).NotNull();
            dependency.RuleFor(d => d!.Instruction).MaximumLength(TaskDependency.MaxInstructionLength);
        });
    }
}

public sealed class CreateFlowValidator : FlowBodyValidator<FlowBody>;

public sealed class UpdateFlowValidator : FlowBodyValidator<UpdateFlowRequest>
{
    public UpdateFlowValidator() => RuleFor(f => f.Id).NotNull();
}
