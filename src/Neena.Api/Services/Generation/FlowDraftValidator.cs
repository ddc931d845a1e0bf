using FluentValidation;
using Neena.Api.Contracts.Flows;
using Neena.Api.Validation;

namespace Neena.Api.Services.Generation;

/// <summary>
/// Checks a planned flow with exactly what <c>POST /flows</c> applies: the request validator of its body, then
/// <see cref="FlowService.ValidateAsync"/> (graph, task definitions, bindings). Problems come back as the 422 would name them.
/// </summary>
public sealed class FlowDraftValidator(IValidator<FlowBody> bodyValidator, FlowService flows)
{
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> ValidateAsync(FlowBody draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
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
}
