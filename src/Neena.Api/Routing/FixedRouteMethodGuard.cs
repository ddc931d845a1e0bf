using System.Collections.Frozen;

namespace Neena.Api.Routing;

/// <summary>
/// A path alias such as <c>GET /flow_runs/{id}</c> also matches the fixed routes beside it (<c>/flow_runs/approve</c>),
/// so routing alone turns <c>GET /flow_runs/approve</c> into the alias's "not a valid uuid" 422. A path that is exactly
/// one of the fixed routes belongs to them: another method there is 405 with <c>Allow</c>, as it is on any other path.
/// </summary>
internal sealed class FixedRouteMethodGuard(RequestDelegate next, EndpointDataSource endpoints)
{
    private FrozenDictionary<string, string>? _allowByFixedPath;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint() is RouteEndpoint { RoutePattern.Parameters.Count: > 0 }
            && (_allowByFixedPath ??= FixedPaths(endpoints)).TryGetValue(Normalize(context.Request.Path), out var allow))
        {
            context.SetEndpoint(null);
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = allow;
            // The status code pages write the contract's {"detail": "Method Not Allowed"}.
            return Task.CompletedTask;
        }
        return next(context);
    }

    private static FrozenDictionary<string, string> FixedPaths(EndpointDataSource source) =>
        source.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.Parameters.Count == 0 && e.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 })
            .GroupBy(e => Normalize(e.RoutePattern.RawText ?? ""), StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(
                g => g.Key,
                g => string.Join(", ", g.SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods).Distinct().Order(StringComparer.Ordinal)),
                StringComparer.OrdinalIgnoreCase);

    private static string Normalize(string path) => path.Trim('/');
}
