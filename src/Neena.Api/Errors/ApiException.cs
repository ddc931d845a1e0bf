namespace Neena.Api.Errors;

/// <summary>An error the client caused or can act on, answered as <c>{"detail": …}</c> with <see cref="StatusCode"/>.</summary>
public class ApiException(int statusCode, string detail) : Exception(detail)
{
    public int StatusCode { get; } = statusCode;
    public string Detail { get; } = detail;

    public static ApiException NotFound(string detail = "Not Found") => new(StatusCodes.Status404NotFound, detail);
    public static ApiException Conflict(string detail) => new(StatusCodes.Status409Conflict, detail);
    public static ApiException BadRequest(string detail) => new(StatusCodes.Status400BadRequest, detail);
    public static ApiException Forbidden(string detail) => new(StatusCodes.Status403Forbidden, detail);
}

/// <summary>A 422 whose errors are not from model binding or a validator (e.g. a rule that needs the database).</summary>
public sealed class RequestValidationException(IReadOnlyList<KeyValuePair<string, string>> errors)
    : ApiException(StatusCodes.Status422UnprocessableEntity, "Validation Error")
{
    public RequestValidationException(string location, string message) : this([new(location, message)]) { }

    public IReadOnlyList<KeyValuePair<string, string>> Errors { get; } = errors;
}
