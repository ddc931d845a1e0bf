using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Neena.Api.Errors;

/// <summary>The contract's error bodies.</summary>
public sealed record DetailResponse(string Detail);

/// <summary><c>{"errors": [{"body.field": "message"}, …]}</c>: one single-key object per problem.</summary>
public sealed record ValidationErrorResponse(IReadOnlyList<IReadOnlyDictionary<string, string>> Errors)
{
    public static ValidationErrorResponse From(IEnumerable<KeyValuePair<string, string>> errors) =>
        new(errors.Select(e => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { [e.Key] = e.Value }).ToList());
}

public static class ErrorWriter
{
    public static Task WriteDetailAsync(HttpContext context, int statusCode, string detail) =>
        WriteAsync(context, statusCode, new DetailResponse(detail));

    public static Task WriteAsync<T>(HttpContext context, int statusCode, T body)
    {
        context.Response.StatusCode = statusCode;
        var options = context.RequestServices.GetService<IOptions<JsonOptions>>()?.Value.SerializerOptions ?? JsonSerializerOptions.Web;
        return context.Response.WriteAsJsonAsync(body, options, context.RequestAborted);
    }
}
