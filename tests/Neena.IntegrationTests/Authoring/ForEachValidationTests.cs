using System.Net;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Authoring;

/// <summary>{{item…}} bindings (issue 20's for_each): allowed in a for_each operation and in conditions on its incoming edges only.</summary>
public sealed class ForEachValidationTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    private async Task<HttpResponseMessage> PostAsync(string secondOperationExtra, string message, string? condition)
    {
        var tenant = await factory.CreateTenantAsync();
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var conditionJson = condition is null ? "" : ", \"condition\": {\"any\": [{\"all\": [{\"left\": \"" + condition + "\", \"op\": \"contains\", \"right\": \"urgent\"}]}]}";
        var body = $$"""
            {"name": "items", "task_operations": [
                {"name": "a", "task_definition": "{{echo}}", "index": 0, "parameters": {"message": "m"} },
                {"name": "b", "task_definition": "{{echo}}", "index": 1, "parameters": {"message": "{{message}}"}{{secondOperationExtra}} }],
             "dependencies": [{"source_task_operation": 0, "target_task_operation": 1{{conditionJson}} }]}
            """;
        return await factory.ClientWithBearer(tenant.ApiKey).PostAsync("/api/v1/flows/", JsonHelpers.RawJson(body));
    }

    private const string ForEach = """, "for_each": "{{tasks.0.result.items}}" """;

    [Fact]
    public async Task ItemBindings_InAForEachOperationAndItsIncomingConditions_AreAccepted()
    {
        var response = await PostAsync(ForEach, "{{item_index}}: {{item.name}} {{item}}", "{{item.name}}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("", "{{item.name}}", null, "body.task_operations.1.parameters.message", "{{item}}, {{item.PATH}} and {{item_index}} are usable only in a task operation with for_each")]
    [InlineData("", "m", "{{item.name}}", "body.dependencies.0.condition.any.0.all.0.left", "{{item}}, {{item.PATH}} and {{item_index}} are usable only in conditions on the incoming edges of a task operation with for_each")]
    [InlineData(""", "for_each": "{{item}}" """, "m", null, "body.task_operations.1.for_each", "must be a binding to a JSON array: request.metadata.KEY or tasks.INDEX.result[.PATH]")]
    public async Task ItemBindings_Elsewhere_Are422AtTheirField(string extra, string message, string? condition, string location, string error)
    {
        var response = await PostAsync(extra, message, condition);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await response.ReadJsonAsync())["errors"]!.AsArray();
        Assert.Contains(errors, e => e![location]?.GetValue<string>() == error);
    }
}
