using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Neena.Api.Auth;
using Neena.Api.Contracts.Common;
using Neena.Api.Hosting.OpenApi;
using Neena.Api.Routing;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting;

internal static class SwaggerSetup
{
    public const string BearerScheme = "Bearer";
    public const string ApiKeyScheme = "api_key";

    public static void AddNeenaSwagger(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(Configure);
        services.AddSingleton<ValidatorLimits>();
        // Contracts travel as the server's JSON options write them; FieldUpdate<T> is shown as the T it carries.
        services.Replace(ServiceDescriptor.Singleton<ISerializerDataContractResolver>(sp => new FieldUpdateContractResolver(
            new JsonSerializerDataContractResolver(sp.GetRequiredService<IOptions<Microsoft.AspNetCore.Mvc.JsonOptions>>().Value.JsonSerializerOptions))));
    }

    private static void Configure(SwaggerGenOptions options)
    {
        options.SwaggerDoc("v1", new OpenApiInfo
        {
            Title = "Neena API",
            Version = "v1",
            Description = "Every resource is served under /api/v1 (documented with `Authorization: Bearer`) and at the root paths " +
                "(documented with the `api_key` header); both accept either credential. The API reference with examples is docs/api.md " +
                "in the repository, also served at /docs/api.md.",
        });
        // Relative: the document describes the server that serves it, whatever its address (docs/openapi.md).
        options.AddServer(new OpenApiServer { Url = "/", Description = "The server that serves this document." });
        options.AddSecurityDefinition(BearerScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A JWT access token or a Neena API key.",
        });
        options.AddSecurityDefinition(ApiKeyScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyAuthenticationHandler.HeaderName,
            Description = "A Neena API key (create one with `create-api-key` or POST /api/v1/api_keys/).",
        });
        options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [],
        });
        options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(ApiKeyScheme, document)] = [],
        });
        // One tag per resource and surface, so the two copies of each endpoint are easy to tell apart.
        options.TagActionsBy(api =>
        {
            var controller = api.ActionDescriptor.RouteValues["controller"] ?? "api";
            var surface = api.RelativePath?.StartsWith(TwoSurfaceConvention.V1Prefix, StringComparison.Ordinal) == true ? "v1" : "legacy";
            return [$"{surface} · {controller}"];
        });
        options.OrderActionsBy(api => (api.RelativePath?.StartsWith(TwoSurfaceConvention.V1Prefix, StringComparison.Ordinal) == true ? "0" : "1") + api.RelativePath);
        options.SupportNonNullableReferenceTypes();
        options.CustomSchemaIds(SchemaNames.For);
        // JSON-node fields: any JSON, a JSON object, a JSON array; never the node classes' .NET members.
        options.MapType<JsonNode>(() => new OpenApiSchema());
        options.MapType<JsonObject>(ContractSchemaFilter.AnyObject);
        options.MapType<JsonArray>(() => new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema() });
        // Stored JSON read back as text (task runs): the same JSON as the node fields it stands for.
        options.MapType<StoredJson>(() => new OpenApiSchema());
        options.MapType<StoredJsonObject>(ContractSchemaFilter.AnyObject);
        options.SchemaFilter<ContractSchemaFilter>();
        options.SchemaFilter<ConditionSchemaFilter>();
        options.SchemaFilter<ValidatorLimitsSchemaFilter>();
        options.ParameterFilter<QueryParameterFilter>();
        options.RequestBodyFilter<RequestExampleFilter>();
        options.OperationFilter<WebhookOperationFilter>();
        options.OperationFilter<ResponsesOperationFilter>();
        options.OperationFilter<IdempotencyOperationFilter>();
        options.OperationFilter<RunEventsOperationFilter>();
        options.DocumentAsyncFilter<CatalogueIdsFilter>();
        options.DocumentFilter<ToolFriendlyNullables>();
        options.DocumentFilter<ResponseExamples>();
        var xml = Path.Combine(AppContext.BaseDirectory, "Neena.Api.xml");
        if (File.Exists(xml))
            options.IncludeXmlComments(xml);
    }
}
