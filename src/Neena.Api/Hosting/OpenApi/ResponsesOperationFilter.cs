using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.OpenApi;
using Neena.Api.Auth;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Controllers;
using Neena.Api.Errors;
using Neena.Api.Routing;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>
/// Documents what every operation can answer besides its success: the contract's error statuses with their bodies
/// (contract §2–3), the headers every answer carries, and one operation id per surface for client generators.
/// </summary>
internal sealed class ResponsesOperationFilter : IOperationFilter
{
    private const string Unauthorized =
        "A bearer JWT that is malformed, expired, wrongly signed, or for another issuer or audience. The answer carries `WWW-Authenticate: Bearer`.";

    private const string ForbiddenCommon =
        "No credentials (`Not authenticated`), an unknown, revoked or expired API key (`Invalid API Key`), or a credential without the permission " +
        "the method needs (`Missing \"read\" permission` for GET, `Missing \"write\" permission` otherwise).";

    private const string ForbiddenUnregistered = " Also a JWT whose user is not registered yet (call `POST /api/v1/users/create_if_not_exists` first).";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var api = context.ApiDescription;
        var surface = SurfaceOf(api);
        operation.OperationId = (surface == ApiSurface.Legacy ? "Legacy" : "")
            + api.ActionDescriptor.RouteValues["controller"] + "_" + api.ActionDescriptor.RouteValues["action"];

        var detail = context.SchemaGenerator.GenerateSchema(typeof(DetailResponse), context.SchemaRepository);
        var validation = context.SchemaGenerator.GenerateSchema(typeof(ValidationErrorResponse), context.SchemaRepository);
        var responses = operation.Responses ??= [];
        var metadata = api.ActionDescriptor.EndpointMetadata;
        var hasBody = api.ParameterDescriptions.Any(p => p.Source == BindingSource.Body) || operation.RequestBody is not null;
        var webhook = metadata.OfType<WebhookEndpointAttribute>().Any();
        var hasQuery = api.ParameterDescriptions.Any(p => p.Source == BindingSource.Query);

        if (!metadata.OfType<IAllowAnonymous>().Any())
        {
            Error(responses, 401, detail, Unauthorized).Headers!["WWW-Authenticate"] = Header("`Bearer`, with the reason of the refusal.");
            var forbidden = ForbiddenCommon + (metadata.OfType<AllowUnregisteredAttribute>().Any() ? "" : ForbiddenUnregistered);
            Error(responses, 403, detail, Specific(api, 403) is { } reason ? $"{reason} {forbidden}" : forbidden);
        }
        if (Declares(api, 400))
            Error(responses, 400, detail, Specific(api, 400) ?? "Refused; `detail` says why.");
        if (Declares(api, 404))
            Error(responses, 404, detail, Specific(api, 404) ?? "Not found in your organization: a missing id and another organization's id answer alike.");
        if (Declares(api, 409))
            Error(responses, 409, detail, Specific(api, 409) ?? "The resource's current state forbids this; `detail` says why.");
        if (hasBody)
            Error(responses, 413, detail, "The body is larger than 1 MiB.");
        if (hasBody || hasQuery)
        {
            Error(responses, 422, validation, (Specific(api, 422) ?? (webhook
                    ? "The body is not JSON that can be stored (malformed, a NUL character, a lone surrogate, a number that is not finite), a platform's event lacks its id, or `X-Neena-Delivery` (or `webhook-id`) is too long."
                    : "A field or parameter is missing or invalid."))
                + " Each problem is named by its location (`body.…`, `query.…` or `header.…`).");
        }
        Error(responses, 429, detail, webhook ? "Too many verified deliveries to this trigger operation in the current window, or too many deliveries from this address that failed verification (unknown operation, bad signature)." : "Too many requests for this credential in the current window.")
            .Headers!["Retry-After"] = Header("Seconds until the window frees.", JsonSchemaType.Integer);

        if (api.ActionDescriptor is ControllerActionDescriptor { ControllerTypeInfo: var controller, ActionName: nameof(FlowRunsController.GetWithResult) }
            && controller.AsType() == typeof(FlowRunsController))
            DocumentFlowResult(operation, context, surface);

        // A HEAD answer never has a body, whatever its status.
        if (string.Equals(api.HttpMethod, "HEAD", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var response in responses.Values.OfType<OpenApiResponse>())
                response.Content = null;
        }

        foreach (var response in responses.Values.OfType<OpenApiResponse>())
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers[RequestIdMiddleware.Header] = Header("The request's id (the caller's own when it sent a sane one), also written to the server's logs.");
        }
    }

    private static ApiSurface SurfaceOf(ApiDescription api) =>
        api.ActionDescriptor.EndpointMetadata.OfType<ApiSurfaceMetadata>().FirstOrDefault()?.Surface
        ?? (api.RelativePath?.StartsWith(TwoSurfaceConvention.V1Prefix, StringComparison.Ordinal) == true ? ApiSurface.V1 : ApiSurface.Legacy);

    private static bool Declares(ApiDescription api, int status) => api.SupportedResponseTypes.Any(r => r.StatusCode == status);

    /// <summary>The description an action gives a status in its <c>[ProducesResponseType]</c>, if any.</summary>
    private static string? Specific(ApiDescription api, int status) =>
        api.SupportedResponseTypes.FirstOrDefault(r => r.StatusCode == status)?.Description is { Length: > 0 } text ? text : null;

    private static OpenApiResponse Error(OpenApiResponses responses, int status, IOpenApiSchema schema, string description)
    {
        var response = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            Headers = new Dictionary<string, IOpenApiHeader>(),
        };
        responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = response;
        return response;
    }

    private static OpenApiHeader Header(string description, JsonSchemaType type = JsonSchemaType.String) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = type } };

    /// <summary>
    /// <c>with_flow_result</c> answers a run plus one key whose name depends on the surface: each surface's operation
    /// gets its own schema, a <c>FlowRun</c> extended by that key.
    /// </summary>
    private static void DocumentFlowResult(OpenApiOperation operation, OperationFilterContext context, ApiSurface surface)
    {
        var key = surface.FlowResultKey();
        var name = surface == ApiSurface.V1 ? "FlowRunWithFlowResult" : "FlowRunWithResult";
        if (!context.SchemaRepository.Schemas.ContainsKey(name))
        {
            var run = context.SchemaGenerator.GenerateSchema(typeof(FlowRunResponse), context.SchemaRepository);
            var result = context.SchemaGenerator.GenerateSchema(typeof(FlowResultResponse), context.SchemaRepository);
            context.SchemaRepository.AddDefinition(name, new OpenApiSchema
            {
                Description = $"A flow run with its flow result under `{key}` (null until the run has ended).",
                AllOf =
                [
                    run,
                    new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            [key] = new OpenApiSchema { AllOf = [result], Type = JsonSchemaType.Null, Description = "The run's flow result, or null while there is none." },
                        },
                        Required = new SortedSet<string>(StringComparer.Ordinal) { key },
                    },
                ],
            });
        }
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse { Content: { } content })
        {
            foreach (var media in content.Values)
                media.Schema = new OpenApiSchemaReference(name, context.Document);
        }
    }
}
