using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Neena.Api.Hosting.OpenApi;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Platform;

/// <summary>The OpenAPI document is the contract in machine form (contract §3): these tests hold it to what the server does.</summary>
public sealed partial class OpenApiTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    [Fact]
    public async Task SwaggerJson_SchemaNames_AreShortAndReadable()
    {
        var doc = await DocumentAsync();

        var names = doc["components"]!["schemas"]!.AsObject().Select(s => s.Key).ToList();

        Assert.All(names, name => Assert.Matches("^[A-Z][A-Za-z0-9]*$", name));
        Assert.All(names, name => Assert.True(name.Length <= 30, name));
        foreach (var expected in new[] { "FlowRun", "FlowRunCreate", "FlowRequest", "FlowRequestCreate", "FlowRequestUpdate", "Flow", "FlowCreate", "FlowUpdate", "TaskRun", "ApiKey", "ApiKeyCreated", "ErrorDetail", "ValidationErrors", "WebhookTriggerOperation", "WebhookTriggerOperationCreated", "WebhookTriggerOperationCreate", "WebhookTriggerOperationUpdate", "TriggerRun", "FlowResult" })
            Assert.Contains(expected, names);
    }

    [Fact]
    public async Task SwaggerJson_QueryParameters_AreNamedAsSent()
    {
        var doc = await DocumentAsync();

        var all = Operations(doc).SelectMany(o => o.Operation["parameters"]?.AsArray() ?? []).ToList();
        var parameters = all.Where(p => p!["in"]!.GetValue<string>() != "header").Select(p => p!["name"]!.GetValue<string>()).ToHashSet();
        var headers = all.Where(p => p!["in"]!.GetValue<string>() == "header").Select(p => p!["name"]!.GetValue<string>()).ToHashSet();

        Assert.All(parameters, name => Assert.Matches("^[a-z][a-z_]*$", name));
        // Headers are named as the platforms send them.
        Assert.Subset(new HashSet<string> { "X-Neena-Signature", "X-Neena-Timestamp", "X-Neena-Delivery", "X-Slack-Signature", "X-Slack-Request-Timestamp", "X-Trello-Webhook", "webhook-id", "webhook-timestamp", "webhook-signature", "Idempotency-Key", "Last-Event-ID" }, headers);
        Assert.Subset(parameters, new HashSet<string> { "skip", "limit", "id", "flow_id", "flow_run_id", "status", "start_date", "end_date", "webhook_trigger_operation_id", "webhook_trigger_definition_id", "integration_entity_id", "integration_short_name" });
        var list = Operations(doc).Single(o => o.Path == "/api/v1/flow_runs/all").Operation["parameters"]!.AsArray();
        var limit = list.Single(p => p!["name"]!.GetValue<string>() == "limit")!["schema"]!;
        Assert.Equal(100, limit["default"]!.GetValue<int>());
        Assert.Equal(0, limit["minimum"]!.GetValue<int>());
        Assert.Equal(1000, limit["maximum"]!.GetValue<int>());
        // The original's ?request=TEXT takes what request_instructions takes (8–512), and the document says so.
        foreach (var path in new[] { "/api/v1/flows/generate", "/flows/generate" })
        {
            var generate = Operations(doc).Single(o => o.Path == path && o.Method == "get").Operation["parameters"]!.AsArray();
            var text = generate.Single(p => p!["name"]!.GetValue<string>() == "request")!["schema"]!;
            Assert.Equal(8, text["minLength"]!.GetValue<int>());
            Assert.Equal(512, text["maxLength"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task SwaggerJson_EveryOperation_DocumentsItsErrorAnswersWithTheirBodies()
    {
        var doc = await DocumentAsync();

        foreach (var (path, method, operation) in Operations(doc))
        {
            var responses = operation["responses"]!.AsObject();
            var hasBody = operation["requestBody"] is not null;
            var hasParameters = operation["parameters"]?.AsArray().Count > 0;
            var where = $"{method.ToUpperInvariant()} {path}";
            // Operations platforms call with their own signatures take no Neena credential (empty security): never a 403.
            var anonymous = operation["security"] is JsonArray { Count: 0 };
            foreach (var status in anonymous ? new[] { "401", "429" } : ["401", "403", "429"])
                Assert.True(ErrorSchema(responses, status) == "ErrorDetail", $"{where} lacks {status}");
            if (hasBody || hasParameters)
                Assert.True(ErrorSchema(responses, "422") == "ValidationErrors", $"{where} lacks 422");
            if (hasBody)
                Assert.True(ErrorSchema(responses, "413") == "ErrorDetail", $"{where} lacks 413");
            if (operation["parameters"]?.AsArray().Any(p => p!["name"]!.GetValue<string>() is "id" or "flow_run_id" or "flow_id" && p["required"]?.GetValue<bool>() == true) == true
                || (hasBody && method == "put"))
            {
                Assert.True(ErrorSchema(responses, "404") == "ErrorDetail", $"{where} lacks 404");
            }
            Assert.NotNull(operation["operationId"]);
            Assert.All(responses, r => Assert.NotNull(r.Value!["headers"]?["X-Request-Id"]));
        }
        foreach (var action in new[] { "approve", "reject", "cancel" })
            Assert.Equal("ErrorDetail", ErrorSchema(Operation(doc, "put", $"/api/v1/flow_runs/{action}")["responses"]!.AsObject(), "409"));
        Assert.Equal("ErrorDetail", ErrorSchema(Operation(doc, "delete", "/flows")["responses"]!.AsObject(), "409"));
        Assert.Equal("ErrorDetail", ErrorSchema(Operation(doc, "post", "/api/v1/users/create_if_not_exists")["responses"]!.AsObject(), "400"));
    }

    [Fact]
    public async Task SwaggerJson_WithFlowResult_DocumentsEachSurfacesKey()
    {
        var doc = await DocumentAsync();

        var v1 = Schema(doc, ResponseSchema(Operation(doc, "get", "/api/v1/flow_runs/with_flow_result")));
        var legacy = Schema(doc, ResponseSchema(Operation(doc, "get", "/flow_runs/with_flow_result")));

        Assert.Contains("flow_result", AllProperties(doc, v1));
        Assert.DoesNotContain("result", AllProperties(doc, v1));
        Assert.Contains("result", AllProperties(doc, legacy));
        Assert.DoesNotContain("flow_result", AllProperties(doc, legacy));
        Assert.Contains("task_runs", AllProperties(doc, v1));
    }

    [Fact]
    public async Task SwaggerJson_JsonFields_AreShownAsTheirJsonTypes()
    {
        var doc = await DocumentAsync();
        var schemas = doc["components"]!["schemas"]!;

        var text = doc.ToJsonString();
        Assert.DoesNotContain("is_set", text, StringComparison.Ordinal);
        Assert.DoesNotContain("JsonNode", text, StringComparison.Ordinal);
        foreach (var schema in new[] { "FlowRequestCreate", "FlowRequestUpdate", "FlowRequest" })
        {
            var metadata = schemas[schema]!["properties"]!["request_metadata"]!;
            Assert.Equal("array", metadata["type"]!.GetValue<string>());
            Assert.Equal("object", metadata["items"]!["type"]!.GetValue<string>());
            Assert.NotNull(metadata["items"]!["additionalProperties"]);
        }
        var parameters = schemas["TaskOperationCreate"]!["properties"]!["parameters"]!;
        Assert.Equal("object", parameters["type"]!.GetValue<string>());
        Assert.NotNull(parameters["additionalProperties"]);
        var taskRun = schemas["TaskRun"]!["properties"]!;
        // Any JSON or null: a typeless schema may not say nullable (OpenAPI 3.0 tools refuse it), so a null-only branch does.
        Assert.Null(taskRun["result"]!["type"]);
        Assert.True(IsNullable(taskRun["result"]!));
        Assert.Equal("object", taskRun["task_prep_prompt"]!["type"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/TaskRunStatus", taskRun["status"]!["allOf"]![0]!["$ref"]!.GetValue<string>());
        Assert.Equal(["pending", "in_progress", "completed", "failed", "cancelled", "skipped", "waiting"], schemas["TaskRunStatus"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("#/components/schemas/RunStatus", schemas["FlowRun"]!["properties"]!["status"]!["allOf"]![0]!["$ref"]!.GetValue<string>());
        Assert.Equal(["pending", "in_progress", "completed", "failed", "cancelled"], schemas["RunStatus"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        foreach (var answer in new[] { "FlowRun", "TaskRun", "FlowRequest", "TaskParameter", "ErrorDetail", "WebhookTriggerOperation", "WebhookTriggerOperationCreated", "TriggerRun" })
        {
            var properties = schemas[answer]!["properties"]!.AsObject().Select(p => p.Key).Order();
            Assert.Equal(properties, schemas[answer]!["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order());
        }
        var update = schemas["FlowRequestUpdate"]!;
        Assert.Equal(["id"], update["required"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("string", update["properties"]!["request_name"]!["type"]!.GetValue<string>());
        Assert.True(update["properties"]!["request_name"]!["nullable"]!.GetValue<bool>());
        Assert.Null(update["properties"]!["request_instructions"]!["nullable"]);
    }

    [Fact]
    public async Task SwaggerJson_EveryRequestBody_HasAnExample()
    {
        var doc = await DocumentAsync();

        var bodies = Operations(doc).Where(o => o.Operation["requestBody"] is not null).ToList();

        Assert.NotEmpty(bodies);
        Assert.All(bodies, o => Assert.NotNull(o.Operation["requestBody"]!["content"]!["application/json"]!["example"]));
    }

    /// <summary>
    /// Every example in the document, sent as it stands on its own path, is accepted. The only ids an example cannot
    /// know are those of the caller's own flow and flow request: the examples hold documented placeholders for them,
    /// which this test replaces by a flow and a flow request it creates (from the POST examples themselves). Task
    /// definitions are global, and the document shows their live ids, so those are sent unchanged.
    /// </summary>
    [Fact]
    public async Task Examples_SentAsTheyStand_AreAcceptedOnBothSurfaces()
    {
        var doc = await DocumentAsync();
        var tenant = await factory.CreateTenantAsync();
        var ids = await CreateReferencedResourcesAsync(doc, tenant);
        // Webhook deliveries are signed by their platform, not sent with a Neena credential: WebhookReceiverTests sends
        // their example signed.
        // Answers to approval steps need a run waiting at one: ApprovalStepTests answers with this example's body.
        var examples = Examples(doc).Where(e => !IsWebhook(e.Path) && !IsStepAnswer(e.Path)).ToList();

        Assert.Equal(Operations(doc).Count(o => o.Operation["requestBody"] is not null && !IsWebhook(o.Path) && !IsStepAnswer(o.Path)), examples.Count);
        foreach (var (path, method, example) in examples)
        {
            var sent = Substitute(example, ids);
            var response = await SendAsync(tenant, path, method, sent);

            Assert.True(response.IsSuccessStatusCode, $"{method.ToUpperInvariant()} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}\nexample: {sent}");
        }
    }

    private static bool IsStepAnswer(string path) => path.EndsWith("/flow_runs/approve_task", StringComparison.Ordinal) || path.EndsWith("/flow_runs/reject_task", StringComparison.Ordinal);

    /// <summary>
    /// What the document says about each field of each example is what the server does: a required field left out or
    /// null is refused at its location; an optional field may be left out, and a nullable one may be null, without
    /// the server refusing that field; a field that is not nullable refuses null.
    /// </summary>
    [Fact]
    public async Task Examples_EachFieldMutated_IsTreatedAsTheDocumentSays()
    {
        var doc = await DocumentAsync();
        var tenant = await factory.CreateTenantAsync();
        var ids = await CreateReferencedResourcesAsync(doc, tenant);
        var checkedFields = 0;

        foreach (var (path, method, example) in Examples(doc).Where(e => e.Path.StartsWith("/api/v1/", StringComparison.Ordinal) && !IsWebhook(e.Path)))
        {
            var body = Substitute(example, ids).AsObject();
            var schema = ResolveRef(doc, Operation(doc, method, path)["requestBody"]!["content"]!["application/json"]!["schema"]!);
            foreach (var field in Fields(doc, body, schema, ""))
            {
                checkedFields++;
                var where = $"{method.ToUpperInvariant()} {path} field {field.Path}";
                var location = "body." + field.Path;

                var without = await SendAsync(tenant, path, method, field.Without(body));
                var withNull = await SendAsync(tenant, path, method, field.WithNull(body));

                if (field.Required)
                {
                    Assert.True(await RefusedAtAsync(without, location), $"{where}: required, yet accepted when left out ({(int)without.StatusCode})");
                    Assert.True(await RefusedAtAsync(withNull, location), $"{where}: required, yet accepted as null ({(int)withNull.StatusCode})");
                    continue;
                }
                Assert.False(await RefusedAtAsync(without, location), $"{where}: optional, yet refused when left out");
                Assert.True((int)without.StatusCode < 500, where);
                if (field.Nullable)
                    Assert.False(await RefusedAtAsync(withNull, location), $"{where}: nullable, yet refused as null: {await withNull.Content.ReadAsStringAsync()}");
                else
                    Assert.True(await RefusedAtAsync(withNull, location), $"{where}: not nullable, yet accepted as null ({(int)withNull.StatusCode})");
            }
        }

        Assert.True(checkedFields > 40, $"only {checkedFields} fields checked");
    }

    [Fact]
    public async Task Root_WithoutCredentials_PointsToTheDocumentation()
    {
        var client = factory.CreateClient();

        var root = await client.GetAsync("/");
        var json = await root.ReadJsonAsync();
        var openApi = await client.GetAsync(json["openapi"]!.GetValue<string>());
        var reference = await client.GetAsync(json["api_reference"]!.GetValue<string>());
        var ui = await client.GetAsync(json["docs"]!.GetValue<string>() + "/index.html");

        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal("Neena", json["name"]!.GetValue<string>());
        Assert.Equal("/swagger", json["docs"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.StartsWith("# ", await reference.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }

    [Fact]
    public async Task Root_FromABrowser_RedirectsToSwaggerUi()
    {
        var client = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/swagger", response.Headers.Location!.OriginalString);
    }

    private static bool IsWebhook(string path) => path.Contains("/webhooks/", StringComparison.Ordinal);

    private async Task<JsonNode> DocumentAsync()
    {
        var response = await factory.CreateClient().GetAsync("/swagger/v1/swagger.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    private static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonNode doc) =>
        from path in doc["paths"]!.AsObject()
        from method in Methods
        where path.Value![method] is JsonObject
        select (path.Key, method, path.Value![method]!.AsObject());

    private static JsonObject Operation(JsonNode doc, string method, string path) => doc["paths"]![path]![method]!.AsObject();

    private static IEnumerable<(string Path, string Method, JsonNode Example)> Examples(JsonNode doc) =>
        from o in Operations(doc)
        let content = o.Operation["requestBody"]?["content"]?.AsObject()
        where content is not null
        from media in content
        where media.Value!["example"] is not null && media.Key == "application/json"
        select (o.Path, o.Method, media.Value!["example"]!);

    private static string? ErrorSchema(JsonObject responses, string status) =>
        responses[status]?["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>().Split('/')[^1];

    private static JsonNode ResponseSchema(JsonObject operation) => operation["responses"]!["200"]!["content"]!["application/json"]!["schema"]!;

    private static JsonNode Schema(JsonNode doc, JsonNode schema) => ResolveRef(doc, schema);

    private static JsonNode ResolveRef(JsonNode doc, JsonNode schema) =>
        schema["$ref"]?.GetValue<string>() is { } reference ? doc["components"]!["schemas"]![reference.Split('/')[^1]]! : schema;

    /// <summary>The properties of a schema, through <c>allOf</c> and references.</summary>
    private static HashSet<string> AllProperties(JsonNode doc, JsonNode schema)
    {
        schema = ResolveRef(doc, schema);
        var names = schema["properties"]?.AsObject().Select(p => p.Key).ToHashSet() ?? [];
        foreach (var part in schema["allOf"]?.AsArray() ?? [])
            names.UnionWith(AllProperties(doc, part!));
        return names;
    }

    /// <summary>Nullable as OpenAPI 3.0 says it: <c>nullable</c> beside a type, or a <c>oneOf</c> branch that admits null.</summary>
    internal static bool IsNullable(JsonNode schema) =>
        schema["nullable"]?.GetValue<bool>() == true || schema["oneOf"]?.AsArray().Any(b => b!["nullable"]?.GetValue<bool>() == true) == true;

    private sealed record Field(string Path, bool Required, bool Nullable, Func<JsonObject, JsonObject> Without, Func<JsonObject, JsonObject> WithNull)
    {
        /// <summary>The field's own schema (its reference followed).</summary>
        public JsonNode Schema { get; init; } = new JsonObject();
    }

    /// <summary>Every documented field of an example, nested objects and first array items included, with how to remove it or null it.</summary>
    private static IEnumerable<Field> Fields(JsonNode doc, JsonObject example, JsonNode schema, string prefix)
    {
        var properties = schema["properties"]?.AsObject();
        if (properties is null)
            yield break;
        var required = schema["required"]?.AsArray().Select(r => r!.GetValue<string>()).ToHashSet() ?? [];
        foreach (var (name, value) in example.ToList())
        {
            var property = ResolveRef(doc, properties[name] ?? throw new InvalidOperationException($"example field {prefix}{name} is not in the schema"));
            var path = prefix + name;
            yield return new Field(
                path,
                required.Contains(name),
                IsNullable(properties[name]!),
                body => Edit(body, path, (parent, key) => parent.Remove(key)),
                body => Edit(body, path, (parent, key) => parent[key] = null))
            { Schema = property };

            if (value is JsonObject nested)
            {
                foreach (var field in Fields(doc, nested, property, path + "."))
                    yield return field;
            }
            else if (value is JsonArray { Count: > 0 } array && array[0] is JsonObject item && property["items"] is { } items)
            {
                foreach (var field in Fields(doc, item, ResolveRef(doc, items), path + ".0."))
                    yield return field;
            }
        }
    }

    private static JsonObject Edit(JsonObject body, string path, Action<JsonObject, string> change)
    {
        var copy = body.DeepClone().AsObject();
        var segments = path.Split('.');
        JsonNode parent = copy;
        foreach (var segment in segments[..^1])
            parent = int.TryParse(segment, out var index) ? parent[index]! : parent[segment]!;
        change(parent.AsObject(), segments[^1]);
        return copy;
    }

    private static async Task<bool> RefusedAtAsync(HttpResponseMessage response, string location)
    {
        if (response.StatusCode != HttpStatusCode.UnprocessableEntity)
            return false;
        var locations = await response.ErrorLocationsAsync();
        return locations.Any(l => l == location || l.StartsWith(location + ".", StringComparison.Ordinal));
    }

    /// <summary>A flow, a flow request, a webhook trigger operation and a schedule of the tenant, made from the document's own POST examples, keyed by the placeholder they replace.</summary>
    private async Task<Dictionary<string, string>> CreateReferencedResourcesAsync(JsonNode doc, TestTenant tenant)
    {
        var flow = await SendAsync(tenant, "/api/v1/flows", "post", Operation(doc, "post", "/api/v1/flows")["requestBody"]!["content"]!["application/json"]!["example"]!);
        Assert.True(flow.IsSuccessStatusCode, await flow.Content.ReadAsStringAsync());
        var request = await SendAsync(tenant, "/api/v1/flow_requests", "post", Operation(doc, "post", "/api/v1/flow_requests")["requestBody"]!["content"]!["application/json"]!["example"]!);
        Assert.True(request.IsSuccessStatusCode, await request.Content.ReadAsStringAsync());
        var ids = new Dictionary<string, string>
        {
            [RequestExamples.FlowId] = (await flow.ReadJsonAsync())["id"]!.GetValue<string>(),
            [RequestExamples.FlowRequestId] = (await request.ReadJsonAsync())["id"]!.GetValue<string>(),
        };
        // The operation's example names the flow made above.
        var operationExample = Substitute(Operation(doc, "post", "/api/v1/webhook_trigger_operations")["requestBody"]!["content"]!["application/json"]!["example"]!, ids);
        var operation = await SendAsync(tenant, "/api/v1/webhook_trigger_operations", "post", operationExample);
        Assert.True(operation.IsSuccessStatusCode, await operation.Content.ReadAsStringAsync());
        ids[RequestExamples.WebhookTriggerOperationId] = (await operation.ReadJsonAsync())["id"]!.GetValue<string>();
        var scheduleExample = Substitute(Operation(doc, "post", "/api/v1/schedule_trigger_operations")["requestBody"]!["content"]!["application/json"]!["example"]!, ids);
        var schedule = await SendAsync(tenant, "/api/v1/schedule_trigger_operations", "post", scheduleExample);
        Assert.True(schedule.IsSuccessStatusCode, await schedule.Content.ReadAsStringAsync());
        ids[RequestExamples.ScheduleTriggerOperationId] = (await schedule.ReadJsonAsync())["id"]!.GetValue<string>();
        var subscription = await SendAsync(tenant, "/api/v1/notification_subscriptions", "post", Operation(doc, "post", "/api/v1/notification_subscriptions")["requestBody"]!["content"]!["application/json"]!["example"]!);
        Assert.True(subscription.IsSuccessStatusCode, await subscription.Content.ReadAsStringAsync());
        ids[RequestExamples.NotificationSubscriptionId] = (await subscription.ReadJsonAsync())["id"]!.GetValue<string>();
        return ids;
    }

    private static JsonNode Substitute(JsonNode example, Dictionary<string, string> ids)
    {
        var text = example.ToJsonString();
        foreach (Match match in Uuid().Matches(text))
        {
            Assert.True(ids.ContainsKey(match.Value) || !match.Value.StartsWith("0196b0a4-", StringComparison.Ordinal),
                $"the example holds an id nobody can know: {match.Value}");
        }
        foreach (var (placeholder, id) in ids)
            text = text.Replace(placeholder, id, StringComparison.Ordinal);
        return JsonNode.Parse(text)!;
    }

    /// <summary>
    /// Sends a body on its surface's documented credential: a bearer API key on /api/v1, the <c>api_key</c> header at the
    /// root. Registering a user takes the JWT of the person the example describes.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(TestTenant tenant, string path, string method, JsonNode body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (path.EndsWith("/users/create_if_not_exists", StringComparison.Ordinal))
            request.Headers.Authorization = new("Bearer", NeenaFactory.Jwt(RequestExamples.UserAuth0Id, RequestExamples.UserEmail));
        else if (path.StartsWith("/api/v1/", StringComparison.Ordinal))
            request.Headers.Authorization = new("Bearer", tenant.ApiKey);
        else
            request.Headers.Add("api_key", tenant.ApiKey);
        return await factory.CreateClient().SendAsync(request);
    }

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Uuid();
}
