using System.Text.Json;
using System.Text.Json.Nodes;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Neena.Agent.Planning;
using Neena.Api.Contracts.Flows;
using Neena.Api.Validation;
using Neena.Domain.Flows;

namespace Neena.Api.Services.Generation;

/// <summary>
/// Reads a model's flow answer as the body of <c>POST /flows</c> (the API's JSON options) and checks it with exactly
/// what that endpoint applies: the request validator of its body, then <see cref="FlowService.ValidateAsync"/> (graph,
/// task definitions, bindings). Problems are named as the 422 would name them, without the <c>body.</c> prefix.
/// </summary>
public sealed class FlowDraftReader(IValidator<FlowBody> bodyValidator, FlowService flows, IOptions<JsonOptions> json) : IFlowDraftReader
{
    public async Task<(FlowDraft? Draft, IReadOnlyList<string> Problems)> ReadAsync(JsonObject answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        FlowBody? flow;
        try
        {
            flow = answer.Deserialize<FlowBody>(json.Value.JsonSerializerOptions);
        }
        catch (JsonException e)
        {
            var path = string.IsNullOrEmpty(e.Path) ? "the answer" : Strip(ValidationErrors.BodyLocation(e.Path));
            return (null, [$"{path}: the value does not have the type the flow shape requires"]);
        }
        if (flow is null)
            return (null, ["the answer is not a flow"]);
        // Which credential a task acts with is the organization's choice, never the model's (the schema does not offer it).
        if (flow.TaskOperations?.Any(o => o?.IntegrationCredential is not null) == true)
            flow = flow with { TaskOperations = flow.TaskOperations.Select(o => o is null ? null : o with { IntegrationCredential = null }).ToList() };
        var problems = await ValidateAsync(flow, cancellationToken);
        if (problems.Count > 0)
            return (null, problems.Select(p => $"{Strip(p.Key)}: {p.Value}").ToList());
        return (flow.ToDraft(), []);
    }

    private async Task<IReadOnlyList<KeyValuePair<string, string>>> ValidateAsync(FlowBody draft, CancellationToken cancellationToken)
    {
        var shape = await bodyValidator.ValidateAsync(draft, cancellationToken);
        if (!shape.IsValid)
        {
            return shape.Errors
                .Select(e => new KeyValuePair<string, string>(
                    string.IsNullOrEmpty(e.PropertyName) ? "body" : "body." + ValidationErrors.NormalizePath(e.PropertyName),
                    e.ErrorMessage))
                .ToList();
        }
        return await flows.ValidateAsync(draft, cancellationToken);
    }

    private static string Strip(string location) => location.StartsWith("body.", StringComparison.Ordinal) ? location["body.".Length..] : location;
}

/// <summary>A planned flow and the body of <c>POST /flows</c>, one into the other.</summary>
public static class FlowDrafts
{
    /// <summary>A validated body (every required field present) as a draft.</summary>
    public static FlowDraft ToDraft(this FlowBody body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return new FlowDraft(
            body.Name!,
            body.TaskOperations!.Select(o => new OperationDraft(o!.Name!, o.TaskDefinition!.Value, o.Instruction, o.X, o.Y, o.Index!.Value, o.Parameters,
                o.Join ?? TaskJoin.All, o.ContinueOnFailure ?? false, o.ForEach)).ToList(),
            (body.Dependencies ?? []).Select(d => new DependencyDraft(d!.SourceTaskOperation!.Value, d.TargetTaskOperation!.Value, d.Instruction, d.Condition)).ToList());
    }

    /// <summary>The draft as the create command takes it: a planned flow acts with no credential chosen for it.</summary>
    public static NewFlow ToInput(this FlowDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return new NewFlow(
            draft.Name,
            draft.TaskOperations.Select(o => new NewTaskOperation(o.Index, o.Name, o.TaskDefinition, o.Instruction, o.X, o.Y, o.Parameters, null,
                o.Join, o.ContinueOnFailure, o.ForEach)).ToList(),
            draft.Dependencies.Select(d => new NewTaskDependency(d.SourceTaskOperation, d.TargetTaskOperation, d.Instruction, d.Condition)).ToList());
    }

    public static FlowBody ToBody(this FlowDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return new FlowBody
        {
            Name = draft.Name,
            TaskOperations = draft.TaskOperations.Select(o => (TaskOperationBody?)new TaskOperationBody
            {
                Name = o.Name,
                TaskDefinition = o.TaskDefinition,
                Instruction = o.Instruction,
                X = o.X,
                Y = o.Y,
                Index = o.Index,
                Parameters = o.Parameters,
                Join = o.Join,
                ContinueOnFailure = o.ContinueOnFailure,
                ForEach = o.ForEach,
            }).ToList(),
            Dependencies = draft.Dependencies.Select(d => (TaskDependencyBody?)new TaskDependencyBody
            {
                SourceTaskOperation = d.SourceTaskOperation,
                TargetTaskOperation = d.TargetTaskOperation,
                Instruction = d.Instruction,
                Condition = d.Condition,
            }).ToList(),
        };
    }

    /// <summary>Creates the planned flow as <c>POST /flows</c> would, but marked generated (<c>created_by_human</c> false).</summary>
    public static Task<FlowResponse> CreateAsync(this FlowService flows, FlowDraft draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flows);
        return flows.CreateAsync(draft.ToBody(), createdByHuman: false, cancellationToken);
    }
}
