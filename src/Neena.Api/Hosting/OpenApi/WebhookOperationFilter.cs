using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Neena.Api.Controllers;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>
/// Documents the webhook receiver as platforms call it: no Neena security scheme (the platform's signature headers
/// instead), and its raw JSON body (read as bytes for the signature, so the action has no body parameter to show it).
/// Runs before <see cref="ResponsesOperationFilter"/>, which then documents the answers every body-taking operation has.
/// </summary>
internal sealed class WebhookOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var api = context.ApiDescription;
        if (!api.ActionDescriptor.EndpointMetadata.OfType<WebhookEndpointAttribute>().Any())
            return;
        operation.Security = [];
        // Read as text (an id that is no uuid is simply not found), documented as what it is.
        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Path))
            parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" };
        if (!string.Equals(api.HttpMethod, "POST", StringComparison.OrdinalIgnoreCase))
            return;
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "The event as the platform sends it, signed as it is sent (the signature covers these exact bytes): a Slack Events API " +
                "request, a Trello webhook action, or, for the core Incoming Webhook, any JSON object. At most 1 MiB.",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new()
                {
                    Schema = ContractSchemaFilter.AnyObject(),
                    Example = new JsonObject { ["order_id"] = "A-1042", ["customer"] = "Acme", ["total"] = 129.5 },
                },
            },
        };
    }
}
