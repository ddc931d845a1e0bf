using System.Text.Json.Nodes;
using FluentValidation;
using Neena.Api.Contracts.Common;
using Neena.Domain.FlowRequests;

namespace Neena.Api.Contracts.FlowRequests;

public sealed record CreateFlowRequestRequest
{
    public string? RequestInstructions { get; init; }
    public JsonNode? RequestMetadata { get; init; }
    public string? RequestName { get; init; }
    public Guid? Flow { get; init; }
    public Guid? Organization { get; init; }
}

/// <summary>A partial update: fields left out of the body keep their stored value.</summary>
public sealed record UpdateFlowRequestRequest
{
    public Guid? Id { get; init; }
    public FieldUpdate<string> RequestInstructions { get; init; }
    public FieldUpdate<JsonNode> RequestMetadata { get; init; }
    public FieldUpdate<string> RequestName { get; init; }
    public FieldUpdate<Guid?> Flow { get; init; }
    public FieldUpdate<Guid?> Organization { get; init; }
}

public sealed record FlowRequestResponse(
    Guid Id,
    string RequestInstructions,
    JsonArray RequestMetadata,
    string? RequestName,
    Guid? Flow,
    Guid Organization,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    string? CreatedByEmail,
    string? ModifiedByEmail,
    DateTime? DeletedAt)
{
    public static FlowRequestResponse From(FlowRequest r) => new(
        r.Id, r.RequestInstructions, r.RequestMetadata, r.RequestName, r.FlowId, r.OrganizationId,
        r.CreatedDate, r.ModifiedDate, r.CreatedByEmail, r.ModifiedByEmail, r.DeletedAt);
}

internal static class FlowRequestRules
{
    public static string? InstructionsError(string value) => value.Length switch
    {
        < FlowRequest.MinInstructionsLength => $"ensure this value has at least {FlowRequest.MinInstructionsLength} characters",
        > FlowRequest.MaxInstructionsLength => $"ensure this value has at most {FlowRequest.MaxInstructionsLength} characters",
        _ => null,
    };

    /// <summary>The original's <c>List[dict]</c>: an array whose items are all objects.</summary>
    public static IEnumerable<KeyValuePair<string, string>> MetadataErrors(JsonNode? metadata)
    {
        if (metadata is null)
            yield break;
        if (metadata is not JsonArray array)
        {
            yield return new("request_metadata", "value is not a valid list");
            yield break;
        }
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject)
                yield return new($"request_metadata.{i}", "value is not a valid dict");
        }
    }
}

public sealed class CreateFlowRequestRequestValidator : AbstractValidator<CreateFlowRequestRequest>
{
    public CreateFlowRequestRequestValidator()
    {
        RuleFor(r => r.RequestInstructions).NotNull()
            .MinimumLength(FlowRequest.MinInstructionsLength)
            .MaximumLength(FlowRequest.MaxInstructionsLength);
        RuleFor(r => r.RequestName).MaximumLength(FlowRequest.MaxNameLength);
        RuleFor(r => r).Custom((r, context) =>
        {
            foreach (var (location, message) in FlowRequestRules.MetadataErrors(r.RequestMetadata))
                context.AddFailure(location, message);
        });
    }
}

public sealed class UpdateFlowRequestRequestValidator : AbstractValidator<UpdateFlowRequestRequest>
{
    public UpdateFlowRequestRequestValidator()
    {
        RuleFor(r => r.Id).NotNull();
        RuleFor(r => r).Custom((r, context) =>
        {
            if (r.RequestInstructions.IsSet)
            {
                var value = r.RequestInstructions.Value;
                if (value is null)
                    context.AddFailure("request_instructions", "none is not an allowed value");
                else if (FlowRequestRules.InstructionsError(value) is { } error)
                    context.AddFailure("request_instructions", error);
            }
            if (r.RequestName is { IsSet: true, Value.Length: > FlowRequest.MaxNameLength })
                context.AddFailure("request_name", $"ensure this value has at most {FlowRequest.MaxNameLength} characters");
            if (r.RequestMetadata.IsSet)
            {
                foreach (var (location, message) in FlowRequestRules.MetadataErrors(r.RequestMetadata.Value))
                    context.AddFailure(location, message);
            }
        });
    }
}
