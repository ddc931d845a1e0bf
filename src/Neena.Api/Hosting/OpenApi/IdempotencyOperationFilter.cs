using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Neena.Api.Errors;
using Neena.Api.Idempotency;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>Documents <c>Idempotency-Key</c> on every authenticated POST, and what it can answer (contract §9).</summary>
internal sealed class IdempotencyOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var api = context.ApiDescription;
        if (!(string.Equals(api.HttpMethod, "POST", StringComparison.OrdinalIgnoreCase)
                || api.ActionDescriptor.EndpointMetadata.OfType<AcceptsIdempotencyKeyAttribute>().Any())
            || api.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
            return;
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = IdempotencyFilter.Header,
            In = ParameterLocation.Header,
            Required = false,
            Description = "Makes a retry safe: the first success is stored and replayed (with `Idempotent-Replayed: true`) for 24 hours to a " +
                "request with the same key, method, path, query and body; the same key with another request is a 422. At most 255 printable " +
                "ASCII characters; per organization. A refusal or failure is not stored: the key can be used again.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = IdempotencyOptions.MaxKeyLength, MinLength = 1 },
        });
        var responses = operation.Responses ??= [];
        if (!responses.ContainsKey("409"))
        {
            var detail = context.SchemaGenerator.GenerateSchema(typeof(DetailResponse), context.SchemaRepository);
            responses["409"] = new OpenApiResponse
            {
                Description = "A request with the same `Idempotency-Key` is still being processed (retry after `Retry-After` seconds)" +
                    (api.ActionDescriptor.EndpointMetadata.OfType<ResponseHoldsSecretAttribute>().Any()
                        ? ", or already created the resource, whose secret is shown only once."
                        : "."),
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = detail } },
                Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
                    [RequestIdMiddleware.Header] = new OpenApiHeader { Description = "The request's id, also written to the server's logs.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
            };
        }
    }
}
