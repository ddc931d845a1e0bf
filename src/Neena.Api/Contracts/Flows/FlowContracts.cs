using System.Text.Json.Nodes;
using FluentValidation;
using Neena.Domain.Flows;

namespace Neena.Api.Contracts.Flows;

public record FlowBody
{
    public string? Name { get; init; }
    public List<TaskOperationBody?>? TaskOperations { get; init; }
    public List<TaskDependencyBody?>? Dependencies { get; init; }
}

/// <summary>A full replacement of a flow: name, operations and dependencies.</summary>
public sealed record UpdateFlowRequest : FlowBody
{
    public Guid? Id { get; init; }
}

public sealed record TaskOperationBody
{
    public string? Name { get; init; }
    public Guid? TaskDefinition { get; init; }
    public string? Instruction { get; init; }
    public double? X { get; init; }
    public double? Y { get; init; }
    public int? Index { get; init; }
    public JsonObject? Parameters { get; init; }
}

public sealed record TaskDependencyBody
{
    public int? SourceTaskOperation { get; init; }
    public int? TargetTaskOperation { get; init; }
    public string? Instruction { get; init; }
}

public sealed record FlowResponse(
    Guid Id,
    string Name,
    IReadOnlyList<TaskOperationResponse> TaskOperations,
    IReadOnlyList<TaskDependencyResponse> Dependencies,
    Guid Organization,
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
        flow.CreatedDate,
        flow.ModifiedDate,
        flow.CreatedByEmail,
        flow.ModifiedByEmail,
        flow.DeletedAt);
}

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
    DateTime CreatedDate,
    DateTime ModifiedDate,
    string? CreatedByEmail,
    string? ModifiedByEmail)
{
    public static TaskOperationResponse From(TaskOperation o) => new(
        o.Id, o.FlowId, o.Name, o.TaskDefinitionId, o.Instruction, o.X, o.Y, o.Index, o.SortedIndex, o.Parameters,
        o.CreatedDate, o.ModifiedDate, o.CreatedByEmail, o.ModifiedByEmail);
}

public sealed record TaskDependencyResponse(Guid Id, Guid Flow, int SourceTaskOperation, int TargetTaskOperation, string? Instruction)
{
    public static TaskDependencyResponse From(TaskDependency d) => new(d.Id, d.FlowId, d.SourceTaskOperation, d.TargetTaskOperation, d.Instruction);
}

public class FlowBodyValidator<T> : AbstractValidator<T> where T : FlowBody
{
    public const int MaxOperations = 500;

    public FlowBodyValidator()
    {
        RuleFor(f => f.Name).NotNull().MinimumLength(1).MaximumLength(200);
        RuleFor(f => f.TaskOperations).NotNull()
            .Must(o => o is null || o.Count <= MaxOperations).WithMessage($"ensure this value has at most {MaxOperations} items");
        RuleFor(f => f.Dependencies)
            .Must(d => d is null || d.Count <= MaxOperations * 4).WithMessage($"ensure this value has at most {MaxOperations * 4} items");
        RuleForEach(f => f.TaskOperations).NotNull().ChildRules(operation =>
        {
            operation.RuleFor(o => o!.Name).NotNull().MinimumLength(1).MaximumLength(200);
            operation.RuleFor(o => o!.TaskDefinition).NotNull();
            operation.RuleFor(o => o!.Index).NotNull().GreaterThanOrEqualTo(0);
            operation.RuleFor(o => o!.Instruction).MaximumLength(4000);
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
