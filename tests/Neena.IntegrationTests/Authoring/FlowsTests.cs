using System.Net;
using System.Text.Json.Nodes;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Authoring;

public sealed class FlowsTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    /// <summary>A one-operation flow of the core Echo task; returns its id.</summary>
    public static async Task<string> CreateEchoFlowAsync(NeenaFactory factory, HttpClient client)
    {
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var response = await client.PostJsonAsync("/api/v1/flows/", new
        {
            name = "Echo flow",
            task_operations = new[] { new { name = "echo", task_definition = echo, index = 0 } },
            dependencies = Array.Empty<object>(),
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadJsonAsync())["id"]!.GetValue<string>();
    }

    private async Task<(HttpClient Client, Guid Echo, Guid Compose)> SetUpAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        return (factory.ClientWithBearer(tenant.ApiKey), await factory.TaskDefinitionIdAsync("core", "Echo"), await factory.TaskDefinitionIdAsync("core", "Compose Text"));
    }

    [Theory]
    [InlineData("/api/v1/flows/")]
    [InlineData("/flows/")]
    public async Task Crud_DiamondFlow_WorksOnBothSurfacesWithSortedIndexes(string path)
    {
        var (client, echo, compose) = await SetUpAsync();

        var created = await client.PostJsonAsync(path, new
        {
            name = "Sample Flow",
            task_operations = new object[]
            {
                new { name = "join", task_definition = compose, index = 7, x = 10.5, y = 20, instruction = "join both", parameters = new { template = "{a} and {b}", values = new { a = "{{tasks.2.result.message}}", b = "{{tasks.5.result.message}}" } } },
                new { name = "left", task_definition = echo, index = 2, parameters = new { message = "{{request.instructions}}" } },
                new { name = "start", task_definition = echo, index = 1, parameters = new { message = "hello" } },
                new { name = "right", task_definition = echo, index = 5, parameters = new { message = "{{tasks.1.result}}" } },
            },
            dependencies = new object[]
            {
                new { source_task_operation = 1, target_task_operation = 2 },
                new { source_task_operation = 1, target_task_operation = 5, instruction = "then right" },
                new { source_task_operation = 2, target_task_operation = 7 },
                new { source_task_operation = 5, target_task_operation = 7 },
            },
        });

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var flow = await created.ReadJsonAsync();
        var id = flow["id"]!.GetValue<string>();
        var sorted = flow["task_operations"]!.AsArray().ToDictionary(o => o!["index"]!.GetValue<int>(), o => o!["sorted_index"]!.GetValue<int>());
        Assert.Equal(new Dictionary<int, int> { [1] = 0, [2] = 1, [5] = 2, [7] = 3 }, sorted);
        Assert.All(flow["task_operations"]!.AsArray(), o => Assert.Equal(id, o!["flow"]!.GetValue<string>()));
        Assert.All(flow["dependencies"]!.AsArray(), d => Assert.Equal(id, d!["flow"]!.GetValue<string>()));
        Assert.Equal(4, flow["dependencies"]!.AsArray().Count);

        var replaced = await client.PutAsync(path, JsonHelpers.RawJson($$"""
            {"id": "{{id}}", "name": "Renamed", "task_operations": [{"name": "only", "task_definition": "{{echo}}", "index": 0}], "dependencies": []}
            """));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var read = await (await client.GetAsync($"{path}?id={id}")).ReadJsonAsync();
        Assert.Equal("Renamed", read["name"]!.GetValue<string>());
        Assert.Single(read["task_operations"]!.AsArray());
        Assert.Empty(read["dependencies"]!.AsArray());
        Assert.Single((await (await client.GetAsync(path + "all")).ReadJsonAsync()).AsArray());

        var deleted = await client.DeleteAsync($"{path}?id={id}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.NotNull((await deleted.ReadJsonAsync())["deleted_at"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{path}?id={id}")).StatusCode);
        Assert.Empty((await (await client.GetAsync(path + "all")).ReadJsonAsync()).AsArray());
    }

    public static TheoryData<string, string, string> InvalidFlows() => new()
    {
        { """{"name": "f", "task_operations": [], "dependencies": []}""", "body.task_operations", "ensure this value has at least 1 items" },
        { """{"name": "f", "dependencies": []}""", "body.task_operations", "field required" },
        { """{"task_operations": [{"name": "a", "task_definition": "ECHO", "index": 0}]}""", "body.name", "field required" },
        { """{"name": "f", "task_operations": [{"task_definition": "ECHO", "index": 0}]}""", "body.task_operations.0.name", "field required" },
        { """{"name": "f", "task_operations": [{"name": "a", "index": 0}]}""", "body.task_operations.0.task_definition", "field required" },
        { """{"name": "f", "task_operations": [{"name": "a", "task_definition": "ECHO"}]}""", "body.task_operations.0.index", "field required" },
        { """{"name": "f", "task_operations": [{"name": "a", "task_definition": "ECHO", "index": "one"}]}""", "body.task_operations.0.index", "value is not a valid integer" },
        { """{"name": "f", "task_operations": [{"name": "a", "task_definition": "ECHO", "index": 0}, {"name": "b", "task_definition": "ECHO", "index": 0}]}""", "body.task_operations.1.index", "duplicate task operation index 0" },
        { """{"name": "f", "task_operations": [{"name": "a", "task_definition": "ECHO", "index": 0}], "dependencies": [{"source_task_operation": 0, "target_task_operation": 9}]}""", "body.dependencies.0.target_task_operation", "no task operation has index 9" },
        { """{"name": "f", "task_operations": [{"name": "a", "task_definition": "ECHO", "index": 0}], "dependencies": [{"source_task_operation": 0, "target_task_operation": 0}]}""", "body.dependencies.0", "a task operation cannot depend on itself" },
        { """{"name": "f", "task_operations": [{"name": "a", "task_definition": "ECHO", "index": 0}, {"name": "b", "task_definition": "ECHO", "index": 1}, {"name": "c", "task_definition": "ECHO", "index": 2}], "dependencies": [{"source_task_operation": 0, "target_task_operation": 1}, {"source_task_operation": 1, "target_task_operation": 2}, {"source_task_operation": 2, "target_task_operation": 0}]}""", "body.dependencies", "Cycle detected in the task operations" },
        { """{"name": "f", "task_operations": [{"name": "a", "task_definition": "00000000-0000-0000-0000-000000000009", "index": 0}]}""", "body.task_operations.0.task_definition", "task definition not found" },
        { """{"name": "f", "task_operations": [{"name": "a", "task_definition": "ECHO", "index": 0, "parameters": {"nope": 1}}]}""", "body.task_operations.0.parameters.nope", "unknown parameter 'nope' of task 'Echo'" },
        { """{"name": "f", "task_operations": [{"name": "a", "task_definition": "ECHO", "index": 0, "parameters": {"message": "{{tasks.1.result}}"}}, {"name": "b", "task_definition": "ECHO", "index": 1}], "dependencies": [{"source_task_operation": 0, "target_task_operation": 1}]}""", "body.task_operations.0.parameters.message", "task 1 is not an ancestor of task operation 0" },
        { """{"name": "f", "task_operations": [{"name": "a", "task_definition": "ECHO", "index": 0, "parameters": {"message": "{{secrets.key}}"}}]}""", "body.task_operations.0.parameters.message", "unknown reference '{{secrets.key}}'; expected request.instructions, request.name, request.metadata.KEY[.PATH] or tasks.INDEX.result[.PATH]" },
        { """{"name": "f", "task_operations": [{"name": "a", "task_definition": "ECHO", "index": 0, "parameters": []}]}""", "body.task_operations.0.parameters", "value is not a valid dict" },
        { """{"name": "f", "task_operations": [{"name": "a", "task_definition": "ECHO", "index": 0}], "dependencies": [{"source_task_operation": 0, "target_task_operation": 0, "instruction": 5}]}""", "body.dependencies.0.instruction", "str type expected" },
    };

    [Theory]
    [MemberData(nameof(InvalidFlows))]
    public async Task Create_InvalidFlow_Returns422AndStoresNothing(string json, string location, string message)
    {
        var (client, echo, _) = await SetUpAsync();

        var response = await client.PostAsync("/api/v1/flows/", JsonHelpers.RawJson(json.Replace("ECHO", echo.ToString(), StringComparison.Ordinal)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(message, await response.ErrorMessageAsync(location));
        Assert.Empty((await (await client.GetAsync("/api/v1/flows/all")).ReadJsonAsync()).AsArray());
    }

    [Fact]
    public async Task Create_DeletedTaskDefinition_Returns422()
    {
        var (client, _, _) = await SetUpAsync();
        Guid deletedId;
        await using (var db = factory.CreateDbContext())
        {
            var integration = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstAsync(db.Integrations);
            var definition = new Neena.Domain.Catalogue.TaskDefinition { IntegrationId = integration.Id, TaskName = "Gone", InputType = "X", OutputType = "Y", PythonMethodName = "Gone.Method" + Guid.NewGuid(), DeletedAt = DateTime.UtcNow, CreatedDate = DateTime.UtcNow, ModifiedDate = DateTime.UtcNow };
            db.TaskDefinitions.Add(definition);
            await db.SaveChangesAsync();
            deletedId = definition.Id;
        }

        var response = await client.PostJsonAsync("/api/v1/flows/", new { name = "f", task_operations = new[] { new { name = "a", task_definition = deletedId, index = 0 } } });

        Assert.Equal("task definition not found", await response.ErrorMessageAsync("body.task_operations.0.task_definition"));
    }

    [Fact]
    public async Task Update_InvalidReplacement_KeepsTheOldGraph()
    {
        var (client, echo, _) = await SetUpAsync();
        var id = await CreateEchoFlowAsync(factory, client);

        var response = await client.PutAsync("/flows/", JsonHelpers.RawJson($$"""{"id": "{{id}}", "name": "x", "task_operations": []}"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var read = await (await client.GetAsync($"/flows/?id={id}")).ReadJsonAsync();
        Assert.Equal("Echo flow", read["name"]!.GetValue<string>());
        Assert.Single(read["task_operations"]!.AsArray());
        _ = echo;
    }

    [Fact]
    public async Task Endpoints_AnotherOrganizationsFlow_Return404()
    {
        var (clientA, echo, _) = await SetUpAsync();
        var id = await CreateEchoFlowAsync(factory, clientA);
        var b = await factory.CreateTenantAsync();
        var clientB = factory.ClientWithApiKeyHeader(b.ApiKey);

        Assert.Equal(HttpStatusCode.NotFound, (await clientB.GetAsync($"/flows/?id={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await clientB.DeleteAsync($"/api/v1/flows/?id={id}")).StatusCode);
        var put = await clientB.PutAsync("/flows/", JsonHelpers.RawJson($$"""{"id": "{{id}}", "name": "stolen", "task_operations": [{"name": "a", "task_definition": "{{echo}}", "index": 0}]}"""));
        Assert.Equal(HttpStatusCode.NotFound, put.StatusCode);
        Assert.Empty((await (await clientB.GetAsync("/flows/all")).ReadJsonAsync()).AsArray());
        Assert.Equal("Echo flow", (await (await clientA.GetAsync($"/flows/?id={id}")).ReadJsonAsync())["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_ParametersRoundTrip_KeepJsonTypes()
    {
        var (client, echo, _) = await SetUpAsync();
        var parameters = JsonNode.Parse("""{"message": "{{request.metadata.customer}}", "data": {"n": 1, "list": [true, null, "x"]}}""");

        var created = await (await client.PostJsonAsync("/api/v1/flows/", new { name = "p", task_operations = new[] { new { name = "a", task_definition = echo, index = 0, parameters } } })).ReadJsonAsync();
        var read = await (await client.GetAsync($"/api/v1/flows/?id={created["id"]!.GetValue<string>()}")).ReadJsonAsync();

        Assert.True(JsonNode.DeepEquals(parameters, read["task_operations"]![0]!["parameters"]));
    }

    [Fact]
    public async Task CreateAndUpdate_LiteralSecondsOverTheEnginesTaskTimeout_Returns422AtTheParameter()
    {
        var (client, echo, _) = await SetUpAsync();
        var wait = await factory.TaskDefinitionIdAsync("core", "Wait");
        var http = await factory.TaskDefinitionIdAsync("http", "HTTP Request");
        object Body(double waitSeconds, double httpTimeout) => new
        {
            name = "Too long",
            task_operations = new object[]
            {
                new { name = "echo", task_definition = echo, index = 0 },
                new { name = "wait", task_definition = wait, index = 1, parameters = new { seconds = waitSeconds } },
                new { name = "call", task_definition = http, index = 2, parameters = new { url = "https://example.com/", timeout_seconds = httpTimeout } },
            },
            dependencies = Array.Empty<object>(),
        };

        // Engine:TaskTimeoutSeconds is 300 by default; the Wait task itself would accept up to an hour.
        var created = await client.PostJsonAsync("/api/v1/flows/", Body(301, 300));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, created.StatusCode);
        Assert.Equal(["body.task_operations.1.parameters.seconds"], await created.ErrorLocationsAsync());
        var message = await created.ErrorMessageAsync("body.task_operations.1.parameters.seconds");
        Assert.Contains("at most 300 seconds", message, StringComparison.Ordinal);
        Assert.Contains("Engine:TaskTimeoutSeconds", message, StringComparison.Ordinal);

        var valid = await client.PostJsonAsync("/api/v1/flows/", Body(300, 300));
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        var id = (await valid.ReadJsonAsync())["id"]!.GetValue<string>();

        var update = System.Text.Json.JsonSerializer.SerializeToNode(Body(3600, 301), System.Text.Json.JsonSerializerOptions.Web)!.AsObject();
        update["id"] = id;
        var updated = await client.PutAsync("/api/v1/flows/", JsonHelpers.RawJson(update.ToJsonString()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, updated.StatusCode);
        Assert.Equal(["body.task_operations.1.parameters.seconds", "body.task_operations.2.parameters.timeout_seconds"], await updated.ErrorLocationsAsync());
    }
}
