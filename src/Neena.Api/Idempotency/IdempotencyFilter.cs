using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;
using Neena.Api.Auth;
using Neena.Api.Errors;
using Neena.Api.Routing;
using Neena.Persistence.Idempotency;
using Neena.Persistence.Sql;

namespace Neena.Api.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> on every authenticated POST (contract §9). The key is reserved (a row inserted, committed)
/// before the action runs, so a concurrent duplicate finds it and waits for the first answer instead of doing the work
/// twice. A success (2xx) is stored with its status, body, <c>Content-Type</c> and <c>Location</c> and replayed for 24
/// hours to a repeat with the same method, path, query and body; a refusal or failure gives the key up again, so that
/// a corrected request can reuse it (and a refused request stores nothing). Keys are per organization.
/// </summary>
internal sealed class IdempotencyFilter(IdempotencyKeys store, IOptions<IdempotencyOptions> options, TimeProvider time, ILogger<IdempotencyFilter> logger) : IAsyncResourceFilter
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    public async Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
    {
        var http = context.HttpContext;
        // The header first: most requests carry none, and then the endpoint's metadata need not be searched.
        if (!http.Request.Headers.TryGetValue(Header, out var values)
            || !(HttpMethods.IsPost(http.Request.Method) || context.ActionDescriptor.EndpointMetadata.OfType<AcceptsIdempotencyKeyAttribute>().Any())
            || context.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
        {
            await next();
            return;
        }
        var key = values.Count == 1 ? values[0] ?? "" : string.Join(",", values.ToArray());
        if (Problem(key) is { } problem)
        {
            context.Result = new UnprocessableEntityObjectResult(ValidationErrorResponse.From([new("header." + Header, problem)]));
            return;
        }
        // A JWT user not registered yet has no organization; the only POST it may call (create_if_not_exists) is idempotent by nature.
        if (http.User.GetOrganizationId() is not { } organizationId)
        {
            await next();
            return;
        }
        var organization = new Tenant(organizationId);

        var settings = options.Value;
        var fingerprint = await FingerprintAsync(http.Request, http.RequestAborted);
        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(settings.WaitSeconds);
        while (true)
        {
            var reservation = await store.ReserveAsync(organization, key, fingerprint, TimeSpan.FromMinutes(settings.ReservationMinutes), http.RequestAborted);
            switch (reservation)
            {
                case Reservation.Owned:
                    await ExecuteAndRecordAsync(context, next, organization, key, settings);
                    return;
                case Reservation.Mismatch:
                    context.Result = new UnprocessableEntityObjectResult(ValidationErrorResponse.From(
                        [new("header." + Header, "this key was used for another request (method, path, query or body) in the last 24 hours")]));
                    return;
                case Reservation.Completed completed:
                    context.Result = Replay(context, completed.Answer);
                    return;
                default:
                    break;
            }
            // The first request is still working: wait for its answer, or take over if it gives the key up.
            while (true)
            {
                if (time.GetUtcNow() >= deadline)
                {
                    http.Response.Headers.RetryAfter = "1";
                    context.Result = new ConflictObjectResult(new DetailResponse("A request with this Idempotency-Key is still being processed; retry shortly."));
                    return;
                }
                await Task.Delay(PollInterval, time, http.RequestAborted);
                var (exists, answer) = await store.PollAsync(organization, key, http.RequestAborted);
                if (answer is not null)
                {
                    // Same key, same organization: the fingerprint was compared when the reservation was found.
                    context.Result = Replay(context, answer);
                    return;
                }
                if (!exists)
                    break;
            }
        }
    }

    private async Task ExecuteAndRecordAsync(ResourceExecutingContext context, ResourceExecutionDelegate next, Tenant organization, string key, IdempotencyOptions settings)
    {
        var response = context.HttpContext.Response;
        var original = response.Body;
        using var buffer = new MemoryStream();
        response.Body = buffer;
        ResourceExecutedContext? executed = null;
        try
        {
            executed = await next();
        }
        finally
        {
            response.Body = original;
            var failed = executed is null || (executed.Exception is not null && !executed.ExceptionHandled);
            try
            {
                if (!failed && response.StatusCode is >= 200 and < 300)
                {
                    var secret = context.ActionDescriptor.EndpointMetadata.OfType<ResponseHoldsSecretAttribute>().Any();
                    var answer = new StoredAnswer(response.StatusCode, response.ContentType, response.Headers.Location.ToString() is { Length: > 0 } l ? l : null,
                        secret ? null : buffer.ToArray());
                    await store.CompleteAsync(organization, key, answer, TimeSpan.FromHours(settings.RetentionHours), CancellationToken.None);
                }
                else
                {
                    await store.ReleaseAsync(organization, key, CancellationToken.None);
                }
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                // The answer still goes out; the reservation expires by itself and the key can then be used again.
                logger.LogWarning(e, "Could not record the answer of an idempotent request");
            }
        }
        if (buffer.Length > 0)
        {
            buffer.Position = 0;
            await buffer.CopyToAsync(original, context.HttpContext.RequestAborted);
        }
    }

    private static IActionResult Replay(ResourceExecutingContext context, StoredAnswer answer)
    {
        context.HttpContext.Response.Headers[ReplayedHeader] = "true";
        if (answer.Body is null && context.ActionDescriptor.EndpointMetadata.OfType<ResponseHoldsSecretAttribute>().Any())
        {
            return new ConflictObjectResult(new DetailResponse(
                "A request with this Idempotency-Key already created the resource; its secret is shown only once, so the answer is not repeated."));
        }
        if (answer.Location is not null)
            context.HttpContext.Response.Headers.Location = answer.Location;
        return new ReplayResult(answer);
    }

    private static string? Problem(string key)
    {
        if (key.Length == 0)
            return "ensure this value has at least 1 character";
        if (key.Length > IdempotencyOptions.MaxKeyLength)
            return $"ensure this value has at most {IdempotencyOptions.MaxKeyLength} characters";
        foreach (var c in key)
        {
            if (c is < ' ' or > '~')
                return "only printable ASCII characters are allowed";
        }
        return null;
    }

    /// <summary>SHA-256 of what makes two requests the same: method, path (either surface, trailing slash or not), query and body.</summary>
    private static async Task<byte[]> FingerprintAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        request.EnableBuffering();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var path = request.Path.Value ?? "";
        if (path.StartsWith("/" + TwoSurfaceConvention.V1Prefix, StringComparison.OrdinalIgnoreCase))
            path = path[(TwoSurfaceConvention.V1Prefix.Length + 1)..];
        path = "/" + path.Trim('/');
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{path.ToLowerInvariant()}\n{request.QueryString.Value}\n"));
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            hash.AppendData(chunk, 0, read);
        request.Body.Position = 0;
        return hash.GetHashAndReset();
    }
}

/// <summary>The stored answer, as it was first sent.</summary>
internal sealed class ReplayResult(StoredAnswer answer) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = answer.StatusCode;
        if (answer.ContentType is not null)
            response.ContentType = answer.ContentType;
        if (answer.Body is { Length: > 0 } body)
            await response.Body.WriteAsync(body, context.HttpContext.RequestAborted);
    }
}
