using Microsoft.AspNetCore.Cors.Infrastructure;
using Neena.Api.Routing;

namespace Neena.Api.Hosting;

/// <summary>
/// Cross-origin access for a browser frontend served from another origin (contract §3), with ASP.NET Core's CORS
/// middleware. <c>Cors:AllowedOrigins</c> lists the origins (empty, the default: no CORS at all). Only a request from a
/// listed origin reaches the middleware, so every other request (another origin, or none) is answered exactly as
/// without CORS; a listed origin's preflight is answered 204 before authentication, and its every answer (errors
/// included) names the origin and exposes <c>X-Request-Id</c> and <c>Retry-After</c>. The webhook receiver is for
/// platforms, never for browsers: it sends no CORS headers.
/// </summary>
internal static class CorsSetup
{
    public const string SectionKey = "Cors:AllowedOrigins";

    private static readonly string[] AllowedHeaders = ["Authorization", "Content-Type", "api_key", "Idempotency-Key", "Last-Event-ID"];
    private static readonly string[] ExposedHeaders = [Errors.RequestIdMiddleware.Header, "Retry-After"];

    public static IServiceCollection AddNeenaCors(this IServiceCollection services)
    {
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IConfiguration>((options, configuration) =>
            options.AddDefaultPolicy(policy => policy
                .WithOrigins(Origins(configuration))
                .AllowAnyMethod()
                .WithHeaders(AllowedHeaders)
                .WithExposedHeaders(ExposedHeaders)
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        return services;
    }

    /// <summary>Must follow routing (the middleware reads the endpoint) and precede authentication (preflights carry no credentials).</summary>
    public static void UseNeenaCors(this WebApplication app)
    {
        var origins = new HashSet<string>(Origins(app.Configuration), StringComparer.OrdinalIgnoreCase);
        if (origins.Count == 0)
            return;
        app.UseWhen(
            context => context.Request.Headers.Origin is [{ } origin] && origins.Contains(origin) && !IsWebhookReceiver(context.Request.Path),
            branch => branch.UseCors());
    }

    /// <summary>A list in configuration (<c>Cors:AllowedOrigins:0</c>, …); each entry may also hold several, comma-separated.</summary>
    private static string[] Origins(IConfiguration configuration) =>
        (configuration.GetSection(SectionKey).Get<string[]>() is { Length: > 0 } list ? list : [configuration[SectionKey] ?? ""])
            .SelectMany(o => o.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(o => o.TrimEnd('/'))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToArray();

    private static bool IsWebhookReceiver(PathString path) =>
        path.StartsWithSegments("/webhooks", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/" + TwoSurfaceConvention.V1Prefix + "/webhooks", StringComparison.OrdinalIgnoreCase);
}
