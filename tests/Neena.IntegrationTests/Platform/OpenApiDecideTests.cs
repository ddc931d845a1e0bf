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
            Assert.Equal("#/components/schemas/DependencyCondition", field["allOf"]![0]!["$ref"]!.GetValue<string>());
        }
        var forEach = schemas["TaskOperationCreate"]!["properties"]!["for_each"]!;
        Assert.Equal(4000, forEach["maxLength"]!.GetValue<int>());
        Assert.Matches(forEach["pattern"]!.GetValue<string>(), "{{tasks.0.result.cards}}");
        Assert.DoesNotMatch(forEach["pattern"]!.GetValue<string>(), "cards: {{tasks.0.result.cards}}");
        Assert.Equal(TaskJoin.Values, schemas["TaskJoin"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
    }
}
