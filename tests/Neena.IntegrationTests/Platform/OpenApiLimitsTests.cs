using System.Net;
using System.Text.Json.Nodes;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Platform;

/// <summary>
/// The limits in the document (read from the validators, issue 22) are the server's: each limited field of each example
/// is accepted at its limit and refused at its location just past it, for lengths, numeric bounds and item counts.
/// </summary>
public sealed partial class OpenApiTests
{
    [Fact]
    public async Task Examples_EachLimitedField_IsAcceptedAtItsLimit_AndRefusedJustPastIt()
    {
        var doc = await DocumentAsync();
        var tenant = await factory.CreateTenantAsync();
        var ids = await CreateReferencedResourcesAsync(doc, tenant);
        var checkedLimits = new List<string>();

        // An answer to an approval step needs a run waiting at one (ApprovalStepTests checks its comment's limit).
        foreach (var (path, method, example) in Examples(doc).Where(e => e.Path.StartsWith("/api/v1/", StringComparison.Ordinal) && !IsWebhook(e.Path) && !IsStepAnswer(e.Path)))
        {
            var body = Substitute(example, ids).AsObject();
            var schema = ResolveRef(doc, Operation(doc, method, path)["requestBody"]!["content"]!["application/json"]!["schema"]!);
            foreach (var field in Fields(doc, body, schema, ""))
            {
                var value = Value(body, field.Path);
                foreach (var (limit, atLimit, pastLimit) in Limits(field.Schema, value))
                {
                    var where = $"{method.ToUpperInvariant()} {path} field {field.Path} ({limit})";
                    var location = "body." + field.Path;
                    var at = await SendAsync(tenant, path, method, Set(body, field.Path, atLimit));
                    var past = await SendAsync(tenant, path, method, Set(body, field.Path, pastLimit));

                    // At its limit a value may still be refused for what it says (an unknown integration), never for its size.
                    Assert.False(await RefusedForSizeAtAsync(at, location), $"{where}: refused at its limit: {await at.Content.ReadAsStringAsync()}");
                    Assert.True((int)at.StatusCode < 500, where);
                    Assert.True(await RefusedExactlyAtAsync(past, location), $"{where}: accepted just past its limit ({(int)past.StatusCode})");
                    checkedLimits.Add(where);
                }
            }
        }

        // Lengths of names, instructions, templates, URLs; operation indexes; the flow's operation count.
        Assert.True(checkedLimits.Count > 25, $"only {checkedLimits.Count} limits checked:\n{string.Join('\n', checkedLimits)}");
        Assert.Contains(checkedLimits, l => l.Contains("request_instructions (minLength", StringComparison.Ordinal));
        Assert.Contains(checkedLimits, l => l.Contains("task_operations (maxItems", StringComparison.Ordinal));
    }

    /// <summary>Each limit of a field's schema: its name, a value at the limit and one just past it, made from the example's value.</summary>
    private static IEnumerable<(string Limit, JsonNode AtLimit, JsonNode PastLimit)> Limits(JsonNode schema, JsonNode? value)
    {
        if (value is JsonValue text && text.TryGetValue<string>(out var s))
        {
            // Padding keeps what the value starts with (a URL's host, an e-mail's domain) valid.
            if (schema["maxLength"]?.GetValue<int>() is { } max)
                yield return ($"maxLength {max}", Pad(s, max), Pad(s, max + 1));
            if (schema["minLength"]?.GetValue<int>() is { } min && min > 0 && s.Length >= min)
                yield return ($"minLength {min}", JsonValue.Create(s[..min]), JsonValue.Create(s[..(min - 1)]));
        }
        else if (value is JsonValue number && number.TryGetValue<long>(out _))
        {
            if (schema["minimum"] is { } min)
                yield return ($"minimum {min}", JsonValue.Create(min.GetValue<long>()), JsonValue.Create(min.GetValue<long>() - 1));
            if (schema["maximum"] is { } max)
                yield return ($"maximum {max}", JsonValue.Create(max.GetValue<long>()), JsonValue.Create(max.GetValue<long>() + 1));
        }
        else if (value is JsonArray { Count: > 0 } array && schema["maxItems"]?.GetValue<int>() is { } maxItems)
        {
            yield return ($"maxItems {maxItems}", Repeat(array, maxItems), Repeat(array, maxItems + 1));
        }
    }

    private static JsonValue Pad(string value, int length) =>
        JsonValue.Create(value.Length >= length ? value[..length] : value + new string('a', length - value.Length));

    /// <summary>The array's first item, repeated (the limit under test is the count, not what the items say).</summary>
    private static JsonArray Repeat(JsonArray array, int count) => new([.. Enumerable.Range(0, count).Select(_ => array[0]!.DeepClone())]);

    private static JsonNode? Value(JsonObject body, string path)
    {
        JsonNode? node = body;
        foreach (var segment in path.Split('.'))
            node = int.TryParse(segment, out var index) ? node![index] : node![segment];
        return node;
    }

    private static JsonObject Set(JsonObject body, string path, JsonNode value) => Edit(body, path, (parent, key) => parent[key] = value.DeepClone());

    private static async Task<bool> RefusedForSizeAtAsync(HttpResponseMessage response, string location)
    {
        if (response.StatusCode != HttpStatusCode.UnprocessableEntity)
            return false;
        var errors = (await response.ReadJsonAsync())["errors"]!.AsArray();
        return errors.Any(e => e![location]?.GetValue<string>() is { } message
            && (message.StartsWith("ensure this value", StringComparison.Ordinal) || message.Contains("characters", StringComparison.Ordinal)));
    }

    /// <summary>Refused at exactly this location: a count limit is reported at the array, whatever its items' own problems.</summary>
    private static async Task<bool> RefusedExactlyAtAsync(HttpResponseMessage response, string location) =>
        response.StatusCode == HttpStatusCode.UnprocessableEntity && (await response.ErrorLocationsAsync()).Contains(location);
}
