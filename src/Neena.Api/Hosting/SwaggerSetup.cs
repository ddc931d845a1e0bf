using Microsoft.OpenApi;
using Neena.Api.Auth;
using Neena.Api.Routing;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting;

internal static class SwaggerSetup
{
    public const string BearerScheme = "Bearer";
    public const string ApiKeyScheme = "api_key";

    public static void Configure(SwaggerGenOptions options)
    {
        options.SwaggerDoc("v1", new OpenApiInfo
        {
            Title = "Neena API",
            Version = "v1",
            Description = "Every resource is served under /api/v1 (bearer tokens) and at the root paths (api_key header); both accept either credential.",
        });
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
        options.CustomSchemaIds(t => t.FullName?.Replace("+", ".", StringComparison.Ordinal));
        var xml = Path.Combine(AppContext.BaseDirectory, "Neena.Api.xml");
        if (File.Exists(xml))
            options.IncludeXmlComments(xml);
    }
}
