using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Neena.Domain.Common;
using Neena.IntegrationTests.Authoring;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.Triggers;
using Npgsql;
using Xunit.Abstractions;

namespace Neena.IntegrationTests.Platform;

/// <summary>The server without its engine, trigger run processor or scheduler, so that nothing but the requests under test changes a row.</summary>
public sealed class FuzzFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:Enabled"] = "false",
        ["Webhooks:ProcessorEnabled"] = "false",
        // A schedule the fuzzer switches on must not fire between a refusal and its row check.
        ["Schedules:Enabled"] = "false",
        // Thousands of request log lines cost more than the requests; failures still log as errors.
        ["Serilog:MinimumLevel:Default"] = "Warning",
    };
}

/// <summary>
/// Drives every operation of the server's own OpenAPI document with hostile values, one field or query parameter at a
/// time, everything else valid (real ids of existing resources, so validation goes deep): text PostgreSQL cannot
/// store, numbers JSON cannot carry, wrong JSON types, and hostile JSON trees. No answer may be a 5xx, every refusal
/// has the contract's shape, and a refused request changes no row. The document is walked generically, so new
/// operations and reshaped schemas are covered without touching this test; choices are seeded, so runs repeat.
/// </summary>
public sealed class FuzzTests(FuzzFactory factory, ITestOutputHelper output) : IClassFixture<FuzzFactory>
{
    private const int Seed = 20261125;
    private const string Placeholder = "__fuzz_value__";
    private const string BadUtf8 = "__bad_utf8__";
    private const string V1 = "/api/v1";

    [Theory]
    [InlineData(V1)]
    [InlineData("/")]
    public async Task EveryDocumentedOperation_HostileValueInOneField_NeverAnswers5xxAndRefusalsStoreNothing(string surface)
    {
        var clock = Stopwatch.StartNew();
        var world = await World.CreateAsync(factory);
        var document = new OpenApiDocument(await (await factory.CreateClient().GetAsync("/swagger/v1/swagger.json")).ReadJsonAsync());
        var operations = document.Operations().Where(o => IsV1(o.Path) == (surface == V1)).ToList();
        Assert.NotEmpty(operations);
        await using var run = new Run(factory, document, world, surface == V1, new Random(Seed));
        // The first plan embeds the catalogue (a cache of the code's task definitions, not anything a request stores): done
        // before the snapshot, so that a refused generation is not mistaken for one that stored something.
        await factory.Services.GetRequiredService<Neena.Agent.Retrieval.TaskDefinitionIndex>().RefreshAsync(CancellationToken.None);
        await run.SnapshotAsync();

        foreach (var operation in operations)
        {
            var rich = operation.BodySchema is null ? null : document.Sample(operation.BodySchema, null, name => world.IdFor(name, operation.Path));
            var baseline = rich is null ? null : await run.LearnBaselineAsync(operation, rich);
            var sent = 0;
            foreach (var parameter in operation.Parameters.Where(p => p.In is "query" or "path" or "header"))
            {
                foreach (var (kind, value) in QueryValues(parameter, run.Random))
                {
                    await run.SendAsync(operation, baseline is null ? null : Body(baseline, rich!, null, ""), (parameter, value), $"{parameter.In}.{parameter.Name} ← {kind}");
                    sent++;
                }
            }
            if (operation.BodySchema is not null)
            {
                foreach (var field in document.Fields(operation.BodySchema))
                {
                    foreach (var (kind, json) in BodyValues(field.Schema, run.Random).Concat(DeepUnderSampleKeys(rich!, field.Path)))
                    {
                        var (status, _) = await run.SendAsync(operation, Body(baseline!, rich!, field.Path, json), null, $"body.{field.Location} ← {kind}");
                        if (kind == DeepKind && status is >= 200 and < 300)
                            run.Failures.Add($"{operation} body.{field.Location} ← {kind}: accepted ({status}) a value nested deeper than {JsonDepth.MaxStored} levels");
                        sent++;
                    }
                }
            }
            if (sent == 0)
                await run.SendAsync(operation, null, null, "as documented");
        }

        // Whatever was accepted reads back: every list of the surface answers, with a body a default JSON parser takes.
        foreach (var list in operations.Where(o => o.Method == "GET" && o.Path.EndsWith("/all", StringComparison.Ordinal)))
            await run.ReadBackAsync(list);

        output.WriteLine($"{run.Requests} requests to {operations.Count} operations in {clock.Elapsed.TotalSeconds:0.0} s (snapshots {run.SnapshotTime.Elapsed.TotalSeconds:0.0} s); answers: "
            + string.Join(", ", run.Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} × {s.Value}")));
        foreach (var line in run.Baselines)
            output.WriteLine(line);
        Assert.True(run.Failures.Count == 0, $"{run.Failures.Count} of {run.Requests} requests failed:\n" + string.Join('\n', run.Failures.Take(60)));
    }

    private static bool IsV1(string path) => path == V1 || path.StartsWith(V1 + "/", StringComparison.Ordinal);

    /// <summary>Query values, already URL-encoded: bytes the application must refuse cleanly, and values of the wrong type.</summary>
    private static IEnumerable<(string Kind, string Value)> QueryValues(ApiParameter parameter, Random random)
    {
        if (parameter.In == "header")
        {
            // HttpClient refuses control characters in headers; what it can send still has to be refused cleanly.
            yield return ("overflow", "1e400");
            yield return ("named literal", "NaN");
            yield return ("wrong type", "[]");
            yield break;
        }
        // The in-memory test server cannot carry a NUL in a path at all; Kestrel refuses one itself (WebServerRejectionTests).
        if (parameter.In != "path")
            yield return ("NUL", Pick(random, "%00", "a%00b"));
        yield return ("surrogate as UTF-8", "%ED%A0%80");
        yield return ("invalid UTF-8", Pick(random, "%FF%FE", "%C0%80", "%F0%9F"));
        yield return ("overflow", Pick(random, "1e400", "99999999999999999999999", "-1e400"));
        yield return ("named literal", Pick(random, "NaN", "Infinity", "-Infinity"));
        yield return ("wrong type", Pick(random, "abc", "%5B%5D", "%7B%7D", "true"));
        yield return ("empty", "");
        yield return ("long", new string('9', 2000));
    }

    /// <summary>Raw JSON for one body field: hostile text, non-finite numbers, wrong types and, for trees, hostile content.</summary>
    private static IEnumerable<(string Kind, string Json)> BodyValues(JsonObject schema, Random random)
    {
        yield return ("NUL", "\"a\\u0000b\"");
        yield return ("surrogate", Pick(random, "\"\\ud800\"", "\"x\\udfffy\"", "\"\\udc00\\ud800\""));
        yield return ("invalid UTF-8", $"\"a{BadUtf8}b\"");
        yield return ("overflow", Pick(random, "1e400", "-1e400", "1e99999"));
        yield return ("named literal", Pick(random, "\"NaN\"", "\"Infinity\"", "\"-Infinity\""));
        var type = OpenApiDocument.TypeOf(schema);
        string[] wrong = type switch
        {
            "string" => ["12345", "true", "{}", "[]"],
            "integer" => ["\"abc\"", "1.5", "2147483648", "{}", "[]", "true"],
            "number" => ["\"abc\"", "true", "{}", "[]"],
            "boolean" => ["\"yes\"", "1", "{}"],
            "array" => ["{}", "\"x\"", "1", "[null]"],
            "object" => ["[]", "\"x\"", "1", "true"],
            _ => [],
        };
        foreach (var json in wrong)
            yield return ("wrong type", json);
        if (type is "object" or null)
        {
            yield return ("tree NUL", "{\"key\": \"a\\u0000b\"}");
            yield return ("tree name NUL", "{\"a\\u0000\": \"value\"}");
            yield return ("tree name surrogate", Pick(random, "{\"\\ud800\": \"value\"}", "{\"x\\udc00\": 1}"));
            yield return ("tree deep surrogate", "{\"key\": [{\"deep\": \"\\udfff\"}]}");
            yield return ("tree overflow", Pick(random, "{\"key\": 1e400}", "{\"key\": [-1e400]}"));
            yield return ("tree scale", "{\"key\": 1e-99999}");
            yield return ("tree duplicate", "{\"key\": 1, \"key\": 2}");
            yield return ("tree invalid UTF-8", $"{{\"key\": \"a{BadUtf8}\"}}");
        }
        if (type is "object" or null)
        {
            // One level over what may be stored, and far over what any reader takes: both must be refused (contract §3).
            yield return (DeepKind, "{\"key\": " + Nested(JsonDepth.MaxStored) + "}");
            yield return (DeepKind, "{\"key\": " + Nested(JsonDepth.MaxDocument + 10) + "}");
        }
        if (type is "object" or "array" or null)
        {
            yield return (DeepKind, "[{\"key\": " + Nested(JsonDepth.MaxStored - 1) + "}]");
            yield return ("items NUL", "[{\"key\": \"\\u0000\"}]");
            yield return ("items name surrogate", "[{\"\\udbff\": 1}]");
            yield return ("items overflow", Pick(random, "[1e400]", "[{\"key\": -1e400}]"));
        }
    }

    private static string Pick(Random random, params string[] choices) => choices[random.Next(choices.Length)];

    /// <summary>
    /// The documented example of the field with one of its values made too deep (a container's, else the first): a flow
    /// operation's parameters must name the task's inputs with values of their types, so <c>{"key": …}</c> is refused for
    /// its name or type before its depth is looked at.
    /// </summary>
    private static IEnumerable<(string Kind, string Json)> DeepUnderSampleKeys(JsonNode rich, IReadOnlyList<object> path)
    {
        JsonNode? sample = rich;
        foreach (var segment in path)
            sample = sample is null ? null : Child(sample, segment);
        var target = sample switch
        {
            JsonObject o => o,
            JsonArray { Count: > 0 } a when a[0] is JsonObject first => first,
            _ => null,
        };
        if (target is not { Count: > 0 })
            yield break;
        var deep = JsonNode.Parse(Nested(JsonDepth.MaxStored), documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 256 });
        var copy = target.DeepClone().AsObject();
        var name = target.FirstOrDefault(p => p.Value is JsonObject or JsonArray).Key ?? target.First().Key;
        copy[name] = deep;
        JsonNode json = sample is JsonArray ? new JsonArray(copy) : copy;
        yield return (DeepKind, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { MaxDepth = 256 }));
    }

    /// <summary>Kind of the values nested deeper than may be stored: never accepted, whatever the field.</summary>
    private const string DeepKind = "tree too deep";

    /// <summary><c>{"a": {"a": … }}</c>: <paramref name="depth"/> objects (depth + 1 with the value's own container).</summary>
    private static string Nested(int depth) => string.Concat(Enumerable.Repeat("{\"a\": ", depth)) + "0" + new string('}', depth);

    /// <summary>The baseline with <paramref name="json"/> at <paramref name="path"/> (containers the baseline lost are taken from the full sample).</summary>
    private static byte[] Body(JsonNode baseline, JsonNode rich, IReadOnlyList<object>? path, string json)
    {
        var root = baseline.DeepClone();
        if (path is { Count: > 0 })
        {
            JsonNode current = root;
            JsonNode? sample = rich;
            for (var i = 0; i < path.Count; i++)
            {
                var sampleNext = sample is null ? null : Child(sample, path[i]);
                JsonNode next;
                if (i == path.Count - 1)
                    next = JsonValue.Create(Placeholder);
                else if (Child(current, path[i]) is { } existing && existing is JsonObject or JsonArray)
                    next = existing;
                else
                    next = sampleNext is JsonObject or JsonArray ? sampleNext.DeepClone() : path[i + 1] is int ? new JsonArray() : new JsonObject();
                if (next.Parent is null)
                    SetChild(current, path[i], next, sample);
                current = next;
                sample = sampleNext;
            }
        }
        var text = path is { Count: > 0 } ? root.ToJsonString().Replace($"\"{Placeholder}\"", json, StringComparison.Ordinal) : root.ToJsonString();
        var bytes = Encoding.UTF8.GetBytes(text);
        return ReplaceBytes(bytes, Encoding.UTF8.GetBytes(BadUtf8), [0xFF, 0xFE]);
    }

    private static JsonNode? Child(JsonNode node, object segment) => (node, segment) switch
    {
        (JsonObject o, string name) => o[name],
        (JsonArray a, int index) => index < a.Count ? a[index] : null,
        _ => null,
    };

    private static void SetChild(JsonNode node, object segment, JsonNode? value, JsonNode? sample)
    {
        switch (node, segment)
        {
            case (JsonObject o, string name):
                o[name] = value;
                break;
            case (JsonArray a, int index):
                while (a.Count <= index)
                    a.Add(sample is JsonArray s && s.Count > a.Count ? s[a.Count]?.DeepClone() : null);
                a[index] = value;
                break;
            default:
                throw new InvalidOperationException($"cannot put {segment} into {node.GetValueKind()}");
        }
    }

    private static byte[] ReplaceBytes(byte[] source, byte[] marker, byte[] replacement)
    {
        var result = new List<byte>(source.Length);
        for (var i = 0; i < source.Length; i++)
        {
            if (source.AsSpan(i).StartsWith(marker))
            {
                result.AddRange(replacement);
                i += marker.Length - 1;
            }
            else
            {
                result.Add(source[i]);
            }
        }
        return [.. result];
    }

    /// <summary>Resources of one organization that the valid parts of each request point at.</summary>
    private sealed record World(
        TestTenant Tenant, Guid Flow, Guid FlowRequest, Guid FlowRun, Guid Echo, Guid Integration, Guid SpareKey,
        Guid TriggerDefinition, Guid TriggerOperation, Guid TriggerRun, Guid WebhookOperation, Guid Schedule, Random Ids)
    {
        public static async Task<World> CreateAsync(NeenaFactory factory)
        {
            var tenant = await factory.CreateTenantAsync();
            var client = factory.ClientWithBearer(tenant.ApiKey);
            var flow = Guid.Parse(await FlowsTests.CreateEchoFlowAsync(factory, client));
            var request = await Id(await client.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Fuzz the flow, please.", request_metadata = new[] { new { key = "value" } }, flow }));
            var run = await Id(await client.PostJsonAsync("/api/v1/flow_runs/", new { flow, flow_request = request }));
            var key = await Id(await client.PostJsonAsync("/api/v1/api_keys/", new { name = "spare" }));
            var integration = Guid.Parse((await (await client.GetAsync("/api/v1/integrations/all")).ReadJsonAsync())[0]!["id"]!.GetValue<string>());
            var definition = await factory.TriggerDefinitionIdAsync("core", "Incoming Webhook");
            var operation = await Id(await client.PostJsonAsync("/api/v1/webhook_trigger_operations/", new { name = "fuzz", webhook_trigger_definition = definition, template_body = "Fuzz {{ payload }}", flow }));
            // Trigger runs are written by the receiver, not through this API: one is stored directly for the reads.
            var triggerRun = (await TriggerTestSupport.InsertTriggerRunAsync(factory, tenant, operation, entityId: "fuzz-entity")).Id;
            // An active operation, so that deliveries get as far as its signature check (the fuzzer never signs).
            var webhook = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>", signingSecret: "whsec_fuzz");
            // An inactive schedule (it never fires during the run), for the schedule endpoints' ids.
            var schedule = await Id(await client.PostJsonAsync("/api/v1/schedule_trigger_operations/", new { name = "fuzz", cron = "0 9 * * 1", template_body = "Fuzz at <{fire_time}>", flow }));
            return new World(tenant, flow, request, run, await factory.TaskDefinitionIdAsync("core", "Echo"), integration, key, definition, operation, triggerRun, webhook, schedule, new Random(Seed));
        }

        private static async Task<Guid> Id(HttpResponseMessage response)
        {
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            return Guid.Parse((await response.ReadJsonAsync())["id"]!.GetValue<string>());
        }

        /// <summary>The id a field or parameter named <paramref name="name"/> means on <paramref name="path"/>; unknown names get a fresh one.</summary>
        public Guid IdFor(string? name, string path)
        {
            var resource = path.StartsWith(V1, StringComparison.Ordinal) ? path[V1.Length..] : path;
            var kind = name is "id" or null ? resource.Trim('/').Split('/')[0] : name;
            return kind switch
            {
                "flow" or "flow_id" or "flows" => Flow,
                "flow_request" or "flow_request_id" or "flow_requests" => FlowRequest,
                "flow_run" or "flow_run_id" or "flow_runs" => FlowRun,
                "task_definition" or "task_definition_id" or "task_definitions" => Echo,
                "integration" or "integration_id" or "integrations" => Integration,
                "organization" or "organization_id" or "org_id" => Tenant.OrganizationId,
                "api_keys" => SpareKey,
                "webhook_trigger_definition" or "webhook_trigger_definition_id" or "webhook_trigger_definitions" => TriggerDefinition,
                "webhook_trigger_operation" or "webhook_trigger_operation_id" or "webhook_trigger_operations" => TriggerOperation,
                "trigger_run" or "trigger_run_id" or "trigger_runs" => TriggerRun,
                "schedule_trigger_operation" or "schedule_trigger_operation_id" or "schedule_trigger_operations" => Schedule,
                "users" or "user_id" => Tenant.UserId,
                "operation_id" or "webhooks" => WebhookOperation,
                _ => new Guid(Bytes()),
            };
        }

        private byte[] Bytes()
        {
            var bytes = new byte[16];
            Ids.NextBytes(bytes);
            return bytes;
        }
    }

    /// <summary>Sends requests, checks each answer and, for refusals, that the database did not change.</summary>
    private sealed class Run(NeenaFactory factory, OpenApiDocument document, World world, bool bearer, Random random) : IAsyncDisposable
    {
        private readonly HttpClient _client = factory.CreateClient();
        private string _snapshot = "";
        private NpgsqlConnection? _connection;
        private NpgsqlCommand? _snapshotCommand;

        public Random Random { get; } = random;
        public List<string> Failures { get; } = [];
        public SortedDictionary<int, int> Statuses { get; } = [];
        public List<string> Baselines { get; } = [];
        public int Requests { get; private set; }

        /// <summary>
        /// The sample body, with the fields the server refused removed until it is accepted (or nothing more can be
        /// removed): a schema says what a field is, not which values make sense together (a dependency on itself).
        /// </summary>
        public async Task<JsonNode> LearnBaselineAsync(ApiOperation operation, JsonNode rich)
        {
            var baseline = rich.DeepClone();
            var fallen = false;
            var round = 0;
            var status = 0;
            for (; round < 8; round++)
            {
                var response = await SendAsync(operation, Encoding.UTF8.GetBytes(baseline.ToJsonString()), null, "sample body");
                status = response.Status;
                if (response is not { Status: 422, Body: JsonObject body } || body["errors"] is not JsonArray errors)
                    break;
                var removed = false;
                foreach (var location in errors.SelectMany(e => e!.AsObject().Select(p => p.Key)).Where(k => k.StartsWith("body.", StringComparison.Ordinal)))
                    removed |= RemoveDeepest(baseline, location["body.".Length..].Split('.'));
                if (!removed && !fallen && operation.BodySchema is not null)
                {
                    // Problems without a field to remove: start again from the fields that must be there and the ids.
                    baseline = Essentials(operation.BodySchema, rich);
                    fallen = removed = true;
                }
                if (!removed)
                    break;
            }
            Baselines.Add($"sample body of {operation}: {status} after {round} rounds: {baseline.ToJsonString()}");
            return baseline;
        }

        private JsonNode Essentials(JsonObject raw, JsonNode rich)
        {
            var schema = document.Resolve(raw);
            if (rich is not JsonObject sample || schema["properties"] is not JsonObject properties)
                return rich.DeepClone();
            var required = (schema["required"] as JsonArray)?.Select(r => r!.GetValue<string>()).ToHashSet() ?? [];
            var essentials = new JsonObject();
            foreach (var (name, value) in sample)
            {
                var property = properties[name] is JsonObject p ? document.Resolve(p) : [];
                if (required.Contains(name) || property["format"]?.GetValue<string>() == "uuid")
                    essentials[name] = value?.DeepClone();
            }
            return essentials;
        }

        private static bool RemoveDeepest(JsonNode root, string[] segments)
        {
            JsonNode? parent = null;
            object? key = null;
            var current = root;
            foreach (var segment in segments)
            {
                JsonNode? next = current switch
                {
                    JsonObject o when o.ContainsKey(segment) => o[segment],
                    JsonArray a when int.TryParse(segment, out var i) && i < a.Count => a[i],
                    _ => null,
                };
                if (next is null)
                    break;
                (parent, key, current) = (current, current is JsonArray ? int.Parse(segment, System.Globalization.CultureInfo.InvariantCulture) : segment, next);
            }
            switch (parent, key)
            {
                case (JsonObject o, string name):
                    return o.Remove(name);
                case (JsonArray a, int index):
                    a.RemoveAt(index);
                    return true;
                default:
                    return false;
            }
        }

        public async Task<(int Status, JsonNode? Body)> SendAsync(ApiOperation operation, byte[]? body, (ApiParameter Parameter, string Value)? hostile, string what)
        {
            Requests++;
            var request = Build(operation, body, hostile);
            var label = $"{operation} {what}";
            HttpResponseMessage response;
            try
            {
                response = await _client.SendAsync(request);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
            {
                Failures.Add($"{label}: the request failed: {e.Message}");
                return (0, null);
            }
            var status = (int)response.StatusCode;
            Statuses[status] = Statuses.GetValueOrDefault(status) + 1;
            var text = await response.Content.ReadAsStringAsync();
            JsonNode? json = null;
            try
            {
                json = text.Length == 0 ? null : JsonNode.Parse(text);
            }
            catch (System.Text.Json.JsonException)
            {
                // Checked below for refusals; a success may answer anything.
            }
            var before = _snapshot;
            await SnapshotAsync();
            if (status >= 500)
                Failures.Add($"{label}: {status} {Shorten(text)}");
            else if (status >= 400)
            {
                if (json?["detail"] is null && json?["errors"] is null)
                    Failures.Add($"{label}: {status} without the contract's error body: {Shorten(text)}");
                if (before != _snapshot)
                    Failures.Add($"{label}: refused with {status} but the database changed");
            }
            return (status, json);
        }

        /// <summary>A list read after the hostile writes: a 200 whose body parses with System.Text.Json's default depth (64).</summary>
        public async Task ReadBackAsync(ApiOperation operation)
        {
            Requests++;
            using var response = await _client.SendAsync(Build(operation, null, null));
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
            {
                Failures.Add($"{operation} read back: {(int)response.StatusCode} {Shorten(text)}");
                return;
            }
            try
            {
                JsonNode.Parse(text);
            }
            catch (System.Text.Json.JsonException e)
            {
                Failures.Add($"{operation} read back: the answer does not parse: {e.Message}");
            }
        }

        private HttpRequestMessage Build(ApiOperation operation, byte[]? body, (ApiParameter Parameter, string Value)? hostile)
        {
            var path = operation.Path;
            var query = new List<string>();
            var headers = new List<(string, string)>();
            foreach (var parameter in operation.Parameters)
            {
                string value;
                if (hostile is { } h && h.Parameter == parameter)
                    value = h.Value;
                else if (parameter.Required || parameter.In == "path")
                    value = Uri.EscapeDataString(Text(document.Sample(parameter.Schema, parameter.Name, name => world.IdFor(name, operation.Path))));
                else
                    continue;
                switch (parameter.In)
                {
                    case "path":
                        path = path.Replace("{" + parameter.Name + "}", value, StringComparison.Ordinal);
                        break;
                    case "header":
                        headers.Add((parameter.Name, Uri.UnescapeDataString(value)));
                        break;
                    case "query":
                        query.Add($"{Uri.EscapeDataString(parameter.Name)}={value}");
                        break;
                    default:
                        break;
                }
            }
            var request = new HttpRequestMessage(new HttpMethod(operation.Method), path + (query.Count > 0 ? "?" + string.Join('&', query) : ""));
            if (bearer)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", world.Tenant.ApiKey);
            else
                request.Headers.Add("api_key", world.Tenant.ApiKey);
            foreach (var (name, value) in headers)
                request.Headers.TryAddWithoutValidation(name, value);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }
            return request;
        }

        private static string Text(JsonNode? value) => value switch
        {
            null => "",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => value.ToJsonString(),
        };

        private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;

        /// <summary>
        /// Every row of every table, hashed per table (API keys' <c>last_used_at</c> is a usage hint that reads may move; the
        /// catalogue's embeddings are a cache the server fills in the background, not anything a request stores).
        /// </summary>
        public Stopwatch SnapshotTime { get; } = new();

        public async Task SnapshotAsync()
        {
            SnapshotTime.Start();
            try { await SnapshotCoreAsync(); } finally { SnapshotTime.Stop(); }
        }

        private async Task SnapshotCoreAsync()
        {
            if (_snapshotCommand is null)
            {
                _connection = new NpgsqlConnection(factory.ConnectionString);
                await _connection.OpenAsync();
                var tables = new List<string>();
                await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_\\_%' AND table_name <> 'task_definition_embeddings' ORDER BY 1", _connection))
                await using (var reader = await list.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                        tables.Add(reader.GetString(0));
                }
                _snapshotCommand = new NpgsqlCommand("SELECT " + string.Join(" || ',' || ", tables.Select(t =>
                    $"(SELECT '{t}:' || count(*) || ':' || md5(coalesce(string_agg(r, '|' ORDER BY r), '')) FROM (SELECT (to_jsonb(snapshot_row) - 'last_used_at')::text AS r FROM \"{t}\" snapshot_row) s)")), _connection);
                await _snapshotCommand.PrepareAsync();
            }
            _snapshot = (string)(await _snapshotCommand.ExecuteScalarAsync())!;
        }

        public async ValueTask DisposeAsync()
        {
            if (_snapshotCommand is not null)
                await _snapshotCommand.DisposeAsync();
            if (_connection is not null)
                await _connection.DisposeAsync();
            _client.Dispose();
        }
    }
}
