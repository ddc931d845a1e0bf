using System.Net;
using Microsoft.EntityFrameworkCore;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Platform;

/// <summary>
/// Strings PostgreSQL cannot store (U+0000, unpaired surrogates) and numbers JSON cannot carry (NaN, ±Infinity, overflow)
/// are 422 at their location in every field, JSON objects and arrays included, and nothing is stored.
/// </summary>
public sealed class UnsafeValuesTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    /// <summary>JSON written with <c>'</c> for <c>"</c> and the escapes <c>&lt;NUL&gt;</c>, <c>&lt;HIGH&gt;</c>, <c>&lt;LOW&gt;</c> spelled out.</summary>
    private static string J(string text) => text.Replace('\'', '"')
        .Replace("<NUL>", "\\u0000", StringComparison.Ordinal)
        .Replace("<HIGH>", "\\ud83d", StringComparison.Ordinal)
        .Replace("<LOW>", "\\udc00", StringComparison.Ordinal);

    public static TheoryData<string, string, string> FlowRequestBodies() => new()
    {
        { J("{'request_instructions': 'long enough', 'request_metadata': [{'key': 'a<NUL>b'}]}"), "body.request_metadata.0.key", "string contains a NUL character" },
        { J("{'request_instructions': 'long enough', 'request_metadata': [{'key': '<HIGH>'}]}"), "body.request_metadata.0.key", "string contains an unpaired surrogate" },
        { J("{'request_instructions': 'long enough', 'request_metadata': [{'ok': 1}, {'a': {'b': ['x', '<LOW>y']}}]}"), "body.request_metadata.1.a.b.1", "string contains an unpaired surrogate" },
        { J("{'request_instructions': 'long enough', 'request_metadata': [{'k<NUL>': 'v'}]}"), "body.request_metadata.0", "property name contains a NUL character" },
        { J("{'request_instructions': 'long enough', 'request_metadata': [{'<HIGH>': 'v'}]}"), "body.request_metadata.0", "property name contains an unpaired surrogate" },
        { J("{'request_instructions': 'long enough', 'request_metadata': ['<NUL>']}"), "body.request_metadata.0", "string contains a NUL character" },
        { J("{'request_instructions': 'long enough', 'request_metadata': [{'n': 1e400}]}"), "body.request_metadata.0.n", "value is not a finite number" },
        { J("{'request_instructions': 'long enough', 'request_metadata': [{'n': [-1e999]}]}"), "body.request_metadata.0.n.0", "value is not a finite number" },
        { J("{'request_instructions': 'long <HIGH> enough'}"), "body.request_instructions", "string contains an unpaired surrogate" },
        { J("{'request_instructions': 'long enough<NUL>'}"), "body.request_instructions", "string contains a NUL character" },
        { J("{'request_instructions': 'long enough', 'request_name': '<LOW>'}"), "body.request_name", "string contains an unpaired surrogate" },
        { J("{'request_instructions': 'long enough', 'request_metadata': [{'key': 1, 'key': 2}]}"), "body.request_metadata.0.key", "duplicate property name" },
        { J("{'request_instructions': 'long enough', 'request_metadata': [{'n': 1e-20000}]}"), "body.request_metadata.0.n", "value is out of range (too many decimal places)" },
        { J("{'request_instructions': 'long enough', 'request_metadata': [{'n': 0e-16384}]}"), "body.request_metadata.0.n", "value is out of range (too many decimal places)" },
    };

    [Theory]
    [MemberData(nameof(FlowRequestBodies))]
    public async Task CreateFlowRequest_UnsafeValue_Returns422AtItsLocationAndStoresNothing(string json, string location, string message)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);

        var response = await client.PostAsync("/api/v1/flow_requests/", JsonHelpers.RawJson(json));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([location], await response.ErrorLocationsAsync());
        Assert.Equal(message, await response.ErrorMessageAsync(location));
        Assert.Equal(0, await CountFlowRequestsAsync(tenant));
    }

    [Theory]
    [MemberData(nameof(FlowRequestBodies))]
    public async Task UpdateFlowRequest_UnsafeValue_Returns422AtItsLocationAndKeepsTheRow(string json, string location, string message)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        var created = await client.PostAsync("/flow_requests/", JsonHelpers.RawJson("""{"request_instructions": "original text", "request_metadata": [{"key": "value"}]}"""));
        var id = (await created.ReadJsonAsync())["id"]!.GetValue<string>();

        var response = await client.PutAsync("/flow_requests/", JsonHelpers.RawJson($$"""{"id": "{{id}}", {{json.TrimStart('{')}}"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([location], await response.ErrorLocationsAsync());
        Assert.Equal(message, await response.ErrorMessageAsync(location));
        var read = await (await client.GetAsync($"/flow_requests/?id={id}")).ReadJsonAsync();
        Assert.Equal("original text", read["request_instructions"]!.GetValue<string>());
        Assert.Equal("""[{"key":"value"}]""", read["request_metadata"]!.ToJsonString());
    }

    public static TheoryData<string, string, string> TaskOperationFields() => new()
    {
        { J("'x': 'NaN'"), "body.task_operations.0.x", "value is not a finite number" },
        { J("'y': 1e400"), "body.task_operations.0.y", "value is not a finite number" },
        { J("'x': -1e400"), "body.task_operations.0.x", "value is not a finite number" },
        { J("'x': 'Infinity'"), "body.task_operations.0.x", "value is not a finite number" },
        { J("'y': '-Infinity'"), "body.task_operations.0.y", "value is not a finite number" },
        { J("'parameters': {'message': 1e400}"), "body.task_operations.0.parameters.message", "value is not a finite number" },
        { J("'parameters': {'message': '<NUL>'}"), "body.task_operations.0.parameters.message", "string contains a NUL character" },
        { J("'parameters': {'message': {'deep': [['<HIGH>']]}}"), "body.task_operations.0.parameters.message.deep.0.0", "string contains an unpaired surrogate" },
        { J("'parameters': {'mess<NUL>age': 'hello'}"), "body.task_operations.0.parameters", "property name contains a NUL character" },
        { J("'parameters': {'<LOW>': 'hello'}"), "body.task_operations.0.parameters", "property name contains an unpaired surrogate" },
        { J("'instruction': 'do <HIGH> it'"), "body.task_operations.0.instruction", "string contains an unpaired surrogate" },
        { J("'instruction': 'do <NUL> it'"), "body.task_operations.0.instruction", "string contains a NUL character" },
    };

    [Theory]
    [MemberData(nameof(TaskOperationFields))]
    public async Task CreateFlow_UnsafeTaskOperationField_Returns422AtItsLocationAndStoresNothing(string field, string location, string message)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");

        var response = await client.PostAsync("/api/v1/flows/", JsonHelpers.RawJson($$$"""
            {"name": "f", "task_operations": [{"name": "echo", "task_definition": "{{{echo}}}", "index": 0, {{{field}}}}], "dependencies": []}
            """));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([location], await response.ErrorLocationsAsync());
        Assert.Equal(message, await response.ErrorMessageAsync(location));
        await using var db = factory.CreateDbContext(tenant.OrganizationId);
        Assert.Equal(0, await db.Flows.IgnoreQueryFilters().CountAsync(f => f.OrganizationId == tenant.OrganizationId));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/flows/all")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TaskOperationFields))]
    public async Task UpdateFlow_UnsafeTaskOperationField_Returns422AndKeepsTheFlowReadable(string field, string location, string message)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var created = await client.PostAsync("/flows/", JsonHelpers.RawJson($$"""
            {"name": "kept", "task_operations": [{"name": "echo", "task_definition": "{{echo}}", "index": 0, "x": 1.5}], "dependencies": []}
            """));
        var id = (await created.ReadJsonAsync())["id"]!.GetValue<string>();

        var response = await client.PutAsync("/flows/", JsonHelpers.RawJson($$$"""
            {"id": "{{{id}}}", "name": "replaced", "task_operations": [{"name": "echo", "task_definition": "{{{echo}}}", "index": 0, {{{field}}}}], "dependencies": []}
            """));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([location], await response.ErrorLocationsAsync());
        Assert.Equal(message, await response.ErrorMessageAsync(location));
        var read = await client.GetAsync($"/flows/?id={id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var flow = await read.ReadJsonAsync();
        Assert.Equal("kept", flow["name"]!.GetValue<string>());
        Assert.Equal(1.5, flow["task_operations"]![0]!["x"]!.GetValue<double>());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/flows/all")).StatusCode);
    }

    [Fact]
    public async Task CreateFlow_FiniteNumbersInStringsAndExtremes_AreAcceptedAndReadBack()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");

        var response = await client.PostAsync("/api/v1/flows/", JsonHelpers.RawJson($$$"""
            {"name": "f", "task_operations": [{"name": "echo", "task_definition": "{{{echo}}}", "index": 0, "x": 1.7976931348623157e308, "y": 1e-400,
             "parameters": {"message": {"big": 123456789012345678901234567890, "tiny": 4.9406564584124654e-324, "zero": 0.0e-10, "text": "\ud83d\ude00 ok", "Text": "case matters"} } }], "dependencies": []}
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var list = await client.GetAsync("/api/v1/flows/all");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var operation = (await list.ReadJsonAsync())[0]!["task_operations"]![0]!;
        Assert.Equal(double.MaxValue, operation["x"]!.GetValue<double>());
        Assert.Equal("😀 ok", operation["parameters"]!["message"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateFlowRequest_InvalidUtf8Bytes_Returns422AndStoresNothing()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        byte[][] payloads =
        [
            [.. "{\"request_instructions\": \"long enough"u8, 0xFF, .. "\"}"u8],
            [.. "{\"request_instructions\": \"long enough\", \"request_metadata\": [{\"k\": \""u8, 0xED, 0xA0, 0x80, .. "\"}]}"u8],
            [.. "{\"request_instructions\": \"long enough\", \"request_metadata\": [{\""u8, 0xC3, .. "\": 1}]}"u8],
        ];

        foreach (var payload in payloads)
        {
            var content = new ByteArrayContent(payload);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            var response = await client.PostAsync("/api/v1/flow_requests/", content);

            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.NotEmpty(await response.ErrorLocationsAsync());
        }
        Assert.Equal(0, await CountFlowRequestsAsync(tenant));
    }

    private async Task<int> CountFlowRequestsAsync(TestTenant tenant)
    {
        await using var db = factory.CreateDbContext(tenant.OrganizationId);
        return await db.FlowRequests.IgnoreQueryFilters().CountAsync(r => r.OrganizationId == tenant.OrganizationId);
    }
}
