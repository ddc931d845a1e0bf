namespace Neena.Api.Routing;

/// <summary>
/// A path nothing serves is 404 whoever asks: without this, the fallback authorization policy answers an anonymous
/// caller 403 "Not authenticated" first, which tells a client to fix its credentials instead of its URL. Runs after
/// routing (which picks an endpoint, or a 405 endpoint for a known path and another method) and before authentication.
/// </summary>
internal sealed class UnknownPathNotFound(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint() is not null)
            return next(context);
        // The status code pages write the contract's {"detail": "Not Found"}.
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}
