using System.Net;
using System.Text.Json.Nodes;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Authoring;

/// <summary>
/// The fields of flows that decide (issue 20, contract §10) at <c>POST</c>/<c>PUT /flows</c>: <c>join</c>,
/// <c>continue_on_failure</c>, <c>for_each</c> and dependency <c>condition</c> are stored and answered on both surfaces, with
/// their defaults when left out, and refused at their location when invalid.
/// </summary>
public sealed class FlowsDecideValidationTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    public static TheoryData<string> Surfaces => new() { "/api/v1", "" };

    private HttpClient Client(TestTenant tenant, string surface) =>
        surface.Length == 0 ? factory.ClientWithApiKeyHeader(tenant.ApiKey) : factory.ClientWithBearer(tenant.ApiKey);

    /// <summary>Three Echo operations: 0 → 1 → 2 and 0 → 2, with extra fields spliced into each (text after its last field).</summary>
    private async Task<JsonObject> FlowAsync(string[]? operationExtras = null, string[]? dependencyExtras = null)
    {
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        string Op(int i) => $$"""{"name": "e{{i}}", "task_definition": "{{echo}}", "index": {{i}}, "parameters": {"message": "m"}{{operationExtras?[i]}}}""";
        string Dep(int i, int s, int t) => $$"""{"source_task_operation": {{s}}, "target_task_operation": {{t}}{{dependencyExtras?[i]}}}""";
        return JsonNode.Parse($$"""
            {"name": "decides", "task_operations": [{{Op(0)}}, {{Op(1)}}, {{Op(2)}}],
             "dependencies": [{{Dep(0, 0, 1)}}, {{Dep(1, 1, 2)}}, {{Dep(2, 0, 2)}}]}
            """)!.AsObject();
    }

    private const string EveryOp = """
        , "condition": {"any": [
            {"all": [{"left": "{{tasks.0.status}}", "op": "eq", "right": "completed"}, {"left": 3, "op": "ne", "right": 4},
                     {"left": "{{tasks.0.result.n}}", "op": "gt", "right": 1}, {"left": 2, "op": "gte", "right": 2},
                     {"left": 1.5, "op": "lt", "right": 2}, {"left": "a", "op": "lte", "right": "b"},
                     {"left": "{{tasks.0.result.message}}", "op": "contains", "right": "urgent"}]},
            {"all": [{"left": ["x"], "op": "not_contains", "right": "y"}, {"left": "{{request.name}}", "op": "starts_with", "right": "A"},
                     {"left": "{{tasks.0.error}}", "op": "ends_with", "right": "."}, {"left": "{{tasks.0.result}}", "op": "exists"},
                     {"left": "{{request.metadata.k}}", "op": "not_exists", "right": null}, {"left": [], "op": "is_empty"},
                     {"left": {"a": [1, {"b": true}]}, "op": "is_not_empty"}]}]}
        """;

    [Theory]
    [MemberData(nameof(Surfaces))]
    public async Task EveryField_CreateUpdateGetList_ReadsBackEqual(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = Client(tenant, surface);
        var body = await FlowAsync(
            ["", """, "continue_on_failure": true, "join": "all" """, """, "join": "any", "for_each": "{{tasks.0.result.items}}" """],
            [EveryOp, "", """, "condition": {"any": [{"all": [{"left": "{{tasks.1.status}}", "op": "eq", "right": "failed"}]}]}"""]);

        var created = await client.PostAsync($"{surface}/flows/", JsonHelpers.RawJson(body.ToJsonString()));
        Assert.True(created.StatusCode == HttpStatusCode.OK, await created.Content.ReadAsStringAsync());
        var flow = await created.ReadJsonAsync();
        AssertDecides(body, flow);
        var id = flow["id"]!.GetValue<string>();
        AssertDecides(body, await (await client.GetAsync($"{surface}/flows/?id={id}")).ReadJsonAsync());

        body["id"] = id;
        body["dependencies"]![2]!.AsObject().Remove("condition");
        body["task_operations"]![1]!["continue_on_failure"] = false;
        var replaced = await client.PutAsync($"{surface}/flows/", JsonHelpers.RawJson(body.ToJsonString()));
        Assert.True(replaced.StatusCode == HttpStatusCode.OK, await replaced.Content.ReadAsStringAsync());
        AssertDecides(body, await replaced.ReadJsonAsync());
        var listed = (await (await client.GetAsync($"{surface}/flows/all")).ReadJsonAsync()).AsArray().Single(f => f!["id"]!.GetValue<string>() == id)!;
        AssertDecides(body, listed);
    }

    /// <summary>Each field as sent, or its default where it was left out.</summary>
    private static void AssertDecides(JsonObject sent, JsonNode answer)
    {
        foreach (var operation in sent["task_operations"]!.AsArray())
        {
            var index = operation!["index"]!.GetValue<int>();
            var read = answer["task_operations"]!.AsArray().Single(o => o!["index"]!.GetValue<int>() == index)!.AsObject();
            Assert.Equal(operation["join"]?.GetValue<string>() ?? "all", read["join"]!.GetValue<string>());
            Assert.Equal(operation["continue_on_failure"]?.GetValue<bool>() ?? false, read["continue_on_failure"]!.GetValue<bool>());
            Assert.True(read.ContainsKey("for_each"));
            Assert.Equal(operation["for_each"]?.GetValue<string>(), read["for_each"]?.GetValue<string>());
        }
        foreach (var dependency in sent["dependencies"]!.AsArray())
        {
            var read = answer["dependencies"]!.AsArray().Single(d =>
                d!["source_task_operation"]!.GetValue<int>() == dependency!["source_task_operation"]!.GetValue<int>()
                && d["target_task_operation"]!.GetValue<int>() == dependency["target_task_operation"]!.GetValue<int>())!.AsObject();
            Assert.True(read.ContainsKey("condition"));
            Assert.True(JsonNode.DeepEquals(dependency!["condition"], read["condition"]), $"{dependency["condition"]} read back as {read["condition"]}");
        }
    }

    public static TheoryData<string, string, string, string> Invalid() => new()
    {
        { "op", """, "condition": {"any": [{"all": [{"left": 1, "op": "equals", "right": 1}]}]}""", "", "body.dependencies.0.condition.any.0.all.0.op" },
        { "non-ancestor in a condition", """, "condition": {"any": [{"all": [{"left": "{{tasks.2.status}}", "op": "eq", "right": "failed"}]}]}""", "", "body.dependencies.0.condition.any.0.all.0.left" },
        { "non-ancestor on the right", """, "condition": {"any": [{"all": [{"left": 1, "op": "eq", "right": "{{tasks.1.result.x}}"}]}]}""", "", "body.dependencies.0.condition.any.0.all.0.right" },
        { "missing right", """, "condition": {"any": [{"all": [{"left": 1, "op": "gt"}]}]}""", "", "body.dependencies.0.condition.any.0.all.0.right" },
        { "empty any", """, "condition": {"any": []}""", "", "body.dependencies.0.condition.any" },
        { "extra field", """, "condition": {"any": [{"all": [{"left": 1, "op": "exists"}]}], "all": []}""", "", "body.dependencies.0.condition.all" },
        { "join", "", """, "join": "some" """, "body.task_operations.1.join" },
        { "for_each with text", "", """, "for_each": "items: {{tasks.0.result.items}}" """, "body.task_operations.1.for_each" },
        { "for_each of two bindings", "", """, "for_each": "{{tasks.0.result.a}}{{tasks.0.result.b}}" """, "body.task_operations.1.for_each" },
        { "for_each without binding", "", """, "for_each": "cards" """, "body.task_operations.1.for_each" },
        { "for_each on a non-ancestor", "", """, "for_each": "{{tasks.2.result.items}}" """, "body.task_operations.1.for_each" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Create_Invalid_Returns422AtTheFieldAndStoresNothing(string kind, string dependencyExtra, string operationExtra, string location)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var body = await FlowAsync(["", operationExtra, ""], [dependencyExtra, "", ""]);

        var response = await client.PostAsync("/api/v1/flows/", JsonHelpers.RawJson(body.ToJsonString()));

        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{kind}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal([location], await response.ErrorLocationsAsync());
        Assert.Empty((await (await client.GetAsync("/api/v1/flows/all")).ReadJsonAsync()).AsArray());
    }

    [Fact]
    public async Task Create_ConditionOverTheSizeLimits_Returns422()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        var test = """{"left": 1, "op": "eq", "right": 1}""";
        var wideGroup = $$"""{"all": [{{string.Join(", ", Enumerable.Repeat(test, 21))}}]}""";
        var group = $$"""{"all": [{{test}}]}""";
        var body = await FlowAsync(null, [
            $$""", "condition": {"any": [{{wideGroup}}]}""",
            $$""", "condition": {"any": [{{string.Join(", ", Enumerable.Repeat(group, 21))}}]}""",
            ""]);
        var deep = await FlowAsync(null, ["", "", """, "condition": {"any": [{"all": [{"left": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], "op": "is_empty"}]}]}"""]);

        var response = await client.PostAsync("/flows/", JsonHelpers.RawJson(body.ToJsonString()));
        var tooDeep = await client.PostAsync("/flows/", JsonHelpers.RawJson(deep.ToJsonString()));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["body.dependencies.0.condition.any.0.all", "body.dependencies.1.condition.any"], (await response.ErrorLocationsAsync()).Order());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooDeep.StatusCode);
        Assert.All(await tooDeep.ErrorLocationsAsync(), l => Assert.StartsWith("body.dependencies.2.condition", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task StatusAndErrorBindings_InParameters_AreAcceptedForAncestors_AndRefusedForOthers()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        var body = await FlowAsync();
        body["task_operations"]![1]!["parameters"]!["message"] = "{{tasks.0.status}}: {{tasks.0.error}}";
        var notAncestor = await FlowAsync();
        notAncestor["task_operations"]![0]!["parameters"]!["message"] = "{{tasks.1.error}}";

        var response = await client.PostAsync("/flows/", JsonHelpers.RawJson(body.ToJsonString()));
        var refused = await client.PostAsync("/flows/", JsonHelpers.RawJson(notAncestor.ToJsonString()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(["body.task_operations.0.parameters.message"], await refused.ErrorLocationsAsync());
    }
}
