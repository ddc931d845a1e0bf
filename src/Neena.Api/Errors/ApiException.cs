using Neena.Domain.Common;

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

/// <summary>
/// A 422 about the request itself whose errors are not from model binding or a validator (a header, a query parameter, a
/// rule that needs the database): its fields are whole locations (<c>header.…</c>, <c>query.…</c>, <c>body…</c>). A
/// command's refusal (<see cref="DomainValidationException"/>, fields of its input) is answered with those fields in the body.
/// </summary>
public sealed class RequestValidationException(IReadOnlyList<KeyValuePair<string, string>> errors) : DomainValidationException(errors)
{
    public RequestValidationException(string location, string message) : this([new(location, message)]) { }

    /// <summary>A command's problems as locations in the request's body, where its input came from.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> InBody(IEnumerable<KeyValuePair<string, string>> errors) =>
        errors.Select(e => new KeyValuePair<string, string>("body." + e.Key, e.Value)).ToList();
}
