using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace Neena.Integrations.Http;

public sealed record HttpRequestInput
{
    [Description("HTTP method: GET (default), HEAD, POST, PUT, PATCH, DELETE or OPTIONS.")]
    public string Method { get; init; } = "GET";

    [Description("Absolute http or https URL to call, e.g. https://api.example.com/items?id=42. Addresses on the server's own network are refused.")]
    [SuppressMessage("Design", "CA1056:URI-like properties should not be strings", Justification = "Flow input is JSON text; the task validates it.")]
    public required string Url { get; init; }

    [Description("Request headers by name, e.g. {\"Authorization\": \"Bearer …\"}.")]
    public Dictionary<string, string>? Headers { get; init; }

    [Description("Request body: a JSON string is sent as text/plain, any other JSON value (object, array, number) as application/json.")]
    public JsonNode? Body { get; init; }

    [Description("Seconds to wait for the whole exchange, including reading the body (default 30; at most 300, and at most the engine's time limit per task attempt).")]
    [WithinTaskTimeLimit]
    public double TimeoutSeconds { get; init; } = 30;

    [Description("Retry 5xx answers, timeouts and broken exchanges even for POST and PATCH, which are not safe to repeat; only for endpoints that tolerate repeats (e.g. they deduplicate). GET, HEAD, PUT, DELETE and OPTIONS are always retried, and a request that never reached the server always is.")]
    public bool RetryUnsafe { get; init; }
}

public sealed record HttpRequestOutput
{
    [Description("HTTP status code; 4xx responses are returned, 5xx responses fail the task (retried when the request is safe to repeat).")]
    public required int StatusCode { get; init; }

    [Description("Response and content headers; repeated headers are joined with \", \".")]
    public required Dictionary<string, string> Headers { get; init; }

    [Description("The response body parsed as JSON, when the response is JSON.")]
    public JsonNode? Json { get; init; }

    [Description("The response body as text, when it is not JSON.")]
    public string? Text { get; init; }
}
