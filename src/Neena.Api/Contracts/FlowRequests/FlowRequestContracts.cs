using System.Text.Json.Nodes;
using FluentValidation;
using Neena.Api.Contracts.Common;
using Neena.Domain.FlowRequests;

namespace Neena.Api.Contracts.FlowRequests;

[InputSchema("FlowRequestCreate")]
public sealed record CreateFlowRequestRequest
{
    /// <summary>What should be done, in natural language (8–512 characters).</summary>
    [ApiField(Required = true)]
    public string? RequestInstructions { get; init; }

    /// <summary>Data for the flow: an array of JSON objects, nested at most 32 levels in all. Bindings read it as <c>{{request.metadata.KEY}}</c>.</summary>
    [ApiField(Shape = JsonShape.ArrayOfObjects)]
    public JsonNode? RequestMetadata { get; init; }

    /// <summary>A short name (at most 64 characters).</summary>
    public string? RequestName { get; init; }

    /// <summary>The id of a flow of your organization that serves this request.</summary>
    public Guid? Flow { get; init; }

    /// <summary>Your organization's id (the default); any other id is refused with 403.</summary>
    public Guid? Organization { get; init; }
}

/// <summary>A partial update: fields left out of the body keep their stored value.</summary>
[InputSchema("FlowRequestUpdate")]
public sealed record UpdateFlowRequestRequest
{
    /// <summary>The id of the flow request to change.</summary>
    [ApiField(Required = true)]
    public Guid? Id { get; init; }

    /// <summary>What should be done, in natural language (8–512 characters).</summary>
    [ApiField(NotNull = true)]
    public FieldUpdate<string> RequestInstructions { get; init; }

    /// <summary>Data for the flow: an array of JSON objects, nested at most 32 levels in all; null empties it.</summary>
    [ApiField(Shape = JsonShape.ArrayOfObjects)]
    public FieldUpdate<JsonNode> RequestMetadata { get; init; }

    /// <summary>A short name (at most 64 characters); null clears it.</summary>
    public FieldUpdate<string> RequestName { get; init; }

    /// <summary>The id of a flow of your organization; null unlinks the flow.</summary>
    public FieldUpdate<Guid?> Flow { get; init; }

    /// <summary>Your organization's id; any other id is refused with 403. It cannot be changed.</summary>
    public FieldUpdate<Guid?> Organization { get; init; }
}

/// <param name="Flow">The id of the flow linked to the request, if any.</param>
/// <param name="DeletedAt">When the request was deleted; only a <c>DELETE</c> answer shows it set.</param>
[OutputSchema("FlowRequest")]
public sealed record FlowRequestResponse(
    Guid Id,
    string RequestInstructions,
    [property: ApiField(Shape = JsonShape.ArrayOfObjects)] JsonArray RequestMetadata,
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
