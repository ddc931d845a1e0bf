using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Neena.IntegrationTests.Frontend;

/// <summary>
/// The original frontend's HTTP client as a browser runs it: axios created in <c>frontend/src/composables/http.ts</c> with
/// <c>baseURL: VITE_API_BASE_URL + '/api/v1/'</c> and an interceptor adding <c>Authorization: Bearer &lt;Auth0 token&gt;</c>,
/// served by Vite's dev server on <see cref="Origin"/>. Every call is preflighted first, as a browser does for a request
/// carrying <c>Authorization</c>, and both answers must let the browser through.
/// </summary>
public sealed class FrontendBrowser(HttpClient server, string token)
{
    /// <summary>Vite's default dev origin, which the original backend allowed (<c>backend/app/main.py</c>).</summary>
    public const string Origin = "http://localhost:5173";

    private const string BaseUrl = "/api/v1/";

    public List<string> Calls { get; } = [];

    /// <summary>axios' <c>combineURLs</c>: one slash between the base and the path, whatever either carries.</summary>
    public static string Url(string path) => BaseUrl.TrimEnd('/') + "/" + path.TrimStart('/');

    public Task<JsonNode> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public Task<JsonNode> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null);

    public Task<JsonNode> PostAsync(string path, JsonNode? body) => SendAsync(HttpMethod.Post, path, body);

    public Task<JsonNode> PutAsync(string path, JsonNode body) => SendAsync(HttpMethod.Put, path, body);

    public async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonNode? body)
    {
        var url = Url(path);
        var call = $"{method} {url}";
        Calls.Add(call);
        // axios sends a JSON body as application/json; a body-less POST (executeFlow) sends no Content-Type.
        await PreflightAsync(method, url, body is null ? "authorization" : "authorization,content-type", call);

        using var request = new HttpRequestMessage(method, url);
        request.Headers.Add("Origin", Origin);
        request.Headers.Add("Accept", "application/json, text/plain, */*");
        request.Headers.Add("Authorization", $"Bearer {token}");
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        var response = await server.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{call} answered {(int)response.StatusCode}: {text}");
        Assert.True(Header(response, "Access-Control-Allow-Origin") == Origin, $"{call}: the browser would refuse the answer (no Access-Control-Allow-Origin for {Origin})");
        return JsonNode.Parse(text)!;
    }

    private async Task PreflightAsync(HttpMethod method, string url, string requestedHeaders, string call)
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, url);
        preflight.Headers.Add("Origin", Origin);
        preflight.Headers.Add("Access-Control-Request-Method", method.Method);
        preflight.Headers.Add("Access-Control-Request-Headers", requestedHeaders);
        var response = await server.SendAsync(preflight);

        Assert.True(response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK, $"preflight of {call} answered {(int)response.StatusCode}");
        Assert.Equal(Origin, Header(response, "Access-Control-Allow-Origin"));
        var methods = (Header(response, "Access-Control-Allow-Methods") ?? "").Split(',', StringSplitOptions.TrimEntries);
        Assert.True(methods.Contains(method.Method, StringComparer.OrdinalIgnoreCase), $"preflight of {call} does not allow {method}: {string.Join(",", methods)}");
        var headers = (Header(response, "Access-Control-Allow-Headers") ?? "").Split(',', StringSplitOptions.TrimEntries);
        foreach (var header in requestedHeaders.Split(','))
            Assert.True(headers.Contains(header, StringComparer.OrdinalIgnoreCase), $"preflight of {call} does not allow the {header} header");
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}

/// <summary>Assertions that an answer holds what a frontend expression reads, with the JSON type it uses it as.</summary>
public static class Reads
{
    public static void Text(JsonNode? node, string field, string where) => Kind(node, field, System.Text.Json.JsonValueKind.String, where);

    public static void Number(JsonNode? node, string field, string where) => Kind(node, field, System.Text.Json.JsonValueKind.Number, where);

    public static void Bool(JsonNode? node, string field, string where)
    {
        var kind = Value(node, field, where)?.GetValueKind();
        Assert.True(kind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False, $"{where}: {field} is {kind}, not a boolean");
    }

    /// <summary>Read for truthiness only (<c>item.flow ? 'Yes' : 'No'</c>): present, a string or null.</summary>
    public static void StringOrNull(JsonNode? node, string field, string where)
    {
        Assert.True(node is JsonObject o && o.ContainsKey(field), $"{where}: no {field} in {node?.ToJsonString()}");
        var kind = node![field]?.GetValueKind();
        Assert.True(kind is null or System.Text.Json.JsonValueKind.String, $"{where}: {field} is {kind}");
    }

    /// <summary>Present, any JSON (a task's <c>result</c> is an object, an array or null).</summary>
    public static void Present(JsonNode? node, string field, string where) =>
        Assert.True(node is JsonObject o && o.ContainsKey(field), $"{where}: no {field} in {node?.ToJsonString()}");

    public static JsonArray Array(JsonNode? node, string field, string where)
    {
        var value = Value(node, field, where);
        Assert.True(value is JsonArray, $"{where}: {field} is not an array");
        return (JsonArray)value!;
    }

    public static JsonArray NonEmptyList(JsonNode? node, string where)
    {
        Assert.True(node is JsonArray { Count: > 0 }, $"{where}: not a non-empty array: {node?.ToJsonString()}");
        return (JsonArray)node!;
    }

    private static void Kind(JsonNode? node, string field, System.Text.Json.JsonValueKind kind, string where) =>
        Assert.True(Value(node, field, where)?.GetValueKind() == kind, $"{where}: {field} is {Value(node, field, where)?.GetValueKind()}, not {kind}");

    private static JsonNode? Value(JsonNode? node, string field, string where)
    {
        Assert.True(node is JsonObject o && o.ContainsKey(field), $"{where}: no {field} in {node?.ToJsonString()}");
        return node![field];
    }
}
