using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Neena.IntegrationTests.Infrastructure;

public static class JsonHelpers
{
    public static async Task<JsonNode> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) ?? throw new InvalidOperationException("empty body");
    }

    public static StringContent RawJson(string json) => new(json, Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body, JsonSerializerOptions.Web);

    public static Task<HttpResponseMessage> PostAsJsonAsyncRaw(this HttpClient client, string url, string json) =>
        client.PostAsync(url, RawJson(json));

    /// <summary>The keys of a 422 body, in order: <c>["body.email", "query.id"]</c>.</summary>
    public static async Task<List<string>> ErrorLocationsAsync(this HttpResponseMessage response)
    {
        var body = await response.ReadJsonAsync();
        return body["errors"]!.AsArray().SelectMany(e => e!.AsObject().Select(p => p.Key)).ToList();
    }

    public static async Task<string> ErrorMessageAsync(this HttpResponseMessage response, string location)
    {
        var body = await response.ReadJsonAsync();
        return body["errors"]!.AsArray().Select(e => e!.AsObject()).First(o => o.ContainsKey(location))[location]!.GetValue<string>();
    }

    public static async Task<string?> DetailAsync(this HttpResponseMessage response) =>
        (await response.ReadJsonAsync())["detail"]?.GetValue<string>();
}
