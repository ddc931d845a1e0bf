using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.Common;
using Npgsql;

namespace Neena.Api.Errors;

/// <summary>The one place where exceptions become HTTP answers: known errors keep their status, anything else is a bare 500.</summary>
internal sealed class ExceptionHandler(ILogger<ExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case RequestValidationException validation:
                await ErrorWriter.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, ValidationErrorResponse.From(validation.Errors));
                return true;
            case DomainValidationException refused:
                await ErrorWriter.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, ValidationErrorResponse.From(RequestValidationException.InBody(refused.Errors)));
                return true;
            case ApiException api:
                await ErrorWriter.WriteDetailAsync(context, api.StatusCode, api.Detail);
                return true;
            case BadHttpRequestException bad:
                await ErrorWriter.WriteDetailAsync(context, bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? BodySizeLimit.Detail
                    : "Bad Request");
                return true;
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                // The client went away; nobody reads the answer.
                context.Response.StatusCode = 499;
                return true;
            case DbUpdateConcurrencyException:
                await ErrorWriter.WriteDetailAsync(context, StatusCodes.Status409Conflict, "The resource was changed by another request; retry.");
                return true;
            case DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } }:
                await ErrorWriter.WriteDetailAsync(context, StatusCodes.Status409Conflict, "A resource with the same unique value already exists.");
                return true;
            case var unavailable when DatabaseUnavailable.Is(unavailable):
                // Out of connections or restarting: the request may succeed in a moment, so it is not a server error (500).
                logger.LogWarning(exception, "Database unavailable");
                context.Response.Headers.RetryAfter = DatabaseUnavailable.RetryAfterSeconds;
                await ErrorWriter.WriteDetailAsync(context, StatusCodes.Status503ServiceUnavailable, DatabaseUnavailable.Detail);
                return true;
            default:
                logger.LogError(exception, "Unhandled exception");
                await ErrorWriter.WriteDetailAsync(context, StatusCodes.Status500InternalServerError, "Internal Server Error");
                return true;
        }
    }
}
