using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Neena.Api.Contracts.Common;

namespace Neena.Api.Errors;

/// <summary>The contract's error bodies.</summary>
/// <param name="Detail">What went wrong, in words.</param>
[OutputSchema("ErrorDetail")]
public sealed record DetailResponse(string Detail);

/// <summary><c>{"errors": [{"body.field": "message"}, …]}</c>: one single-key object per problem.</summary>
/// <param name="Errors">One object per problem: its only key is where (<c>body.</c>, <c>query.</c> or <c>header.</c> and the field's path), its value what is wrong.</param>
[OutputSchema("ValidationErrors")]
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
