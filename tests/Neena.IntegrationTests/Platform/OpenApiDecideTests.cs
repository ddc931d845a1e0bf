using System.Text.Json.Nodes;
using Neena.Domain.Flows;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Platform;

/// <summary>The OpenAPI document states the limits of flows that decide (issue 20) in their schemas, not only in prose.</summary>
public sealed class OpenApiDecideTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    [Fact]
    public async Task SwaggerJson_Condition_IsTypedWithItsOperatorsAndLimits_AndForEachHasItsPattern()
    {
        var doc = await (await factory.CreateClient().GetAsync("/swagger/v1/swagger.json")).ReadJsonAsync();
        var schemas = doc["components"]!["schemas"]!;

        var condition = schemas["DependencyCondition"]!;
        var any = condition["properties"]!["any"]!;
        Assert.Equal(["any"], condition["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(1, any["minItems"]!.GetValue<int>());
        Assert.Equal(DependencyCondition.MaxGroups, any["maxItems"]!.GetValue<int>());
        var all = any["items"]!["properties"]!["all"]!;
        Assert.Equal(DependencyCondition.MaxTests, all["maxItems"]!.GetValue<int>());
        var op = all["items"]!["properties"]!["op"]!;
        Assert.Equal(ConditionOps.All, op["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        foreach (var owner in new[] { "TaskDependencyCreate", "TaskDependency" })
        {
            var field = schemas[owner]!["properties"]!["condition"]!;
            // Nullable, so the reference is the first branch of a oneOf whose other branch admits only null.
            Assert.Equal("#/components/schemas/DependencyCondition", field["oneOf"]![0]!["$ref"]!.GetValue<string>());
            Assert.True(OpenApiTests.IsNullable(field));
        }
        var forEach = schemas["TaskOperationCreate"]!["properties"]!["for_each"]!;
        Assert.Equal(4000, forEach["maxLength"]!.GetValue<int>());
        Assert.Matches(forEach["pattern"]!.GetValue<string>(), "{{tasks.0.result.cards}}");
        Assert.DoesNotMatch(forEach["pattern"]!.GetValue<string>(), "cards: {{tasks.0.result.cards}}");
        Assert.Equal(TaskJoin.Values, schemas["TaskJoin"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("#/components/schemas/TaskJoin", schemas["TaskOperationCreate"]!["properties"]!["join"]!["oneOf"]![0]!["$ref"]!.GetValue<string>());
        Assert.Equal("boolean", schemas["TaskOperationCreate"]!["properties"]!["continue_on_failure"]!["type"]!.GetValue<string>());
        // A task run's items are typed, their status with its values.
        var items = schemas["TaskRun"]!["properties"]!["items"]!;
        Assert.Equal("array", items["type"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/TaskRunItem", items["items"]!["$ref"]!.GetValue<string>());
        var item = schemas["TaskRunItem"]!["properties"]!;
        Assert.Equal(["index", "status", "result", "error", "attempt"], item.AsObject().Select(p => p.Key));
        var status = item["status"]!;
        var reference = (status["$ref"] ?? status["allOf"]![0]!["$ref"])!.GetValue<string>();
        Assert.Equal(Neena.Domain.FlowRuns.TaskRunItemStatus.All, schemas[reference.Split('/')[^1]]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    /// <summary>The POST and PUT /flows examples use every field of a flow that decides (OpenApiTests sends them as they stand).</summary>
    [Fact]
    public async Task SwaggerJson_FlowExamples_UseEveryDecidingField()
    {
        var doc = await (await factory.CreateClient().GetAsync("/swagger/v1/swagger.json")).ReadJsonAsync();
        // The document shows the catalogue's live ids.
        var approval = (await factory.TaskDefinitionIdAsync("core", "Approval")).ToString();

        foreach (var (path, method) in new[] { ("/api/v1/flows", "post"), ("/api/v1/flows", "put"), ("/flows", "post"), ("/flows", "put") })
        {
            var example = doc["paths"]![path]![method]!["requestBody"]!["content"]!["application/json"]!["example"]!;
            var operations = example["task_operations"]!.AsArray();
            Assert.Contains(operations, o => o!["join"]?.GetValue<string>() == TaskJoin.Any);
            Assert.Contains(operations, o => o!["continue_on_failure"]?.GetValue<bool>() == true);
            Assert.Contains(operations, o => o!["for_each"] is not null && o["parameters"]!.ToJsonString().Contains("{{item", StringComparison.Ordinal));
            Assert.Contains(operations, o => o!["task_definition"]!.GetValue<string>() == approval && o["parameters"]!["message"] is not null);
            Assert.Contains(example["dependencies"]!.AsArray(), d => d!["condition"] is JsonObject);
        }
    }
}
