using System.Net;
using System.Text.Json.Nodes;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Authoring;

/// <summary>A task operation's <c>integration_credential</c>: which of the organization's credentials its task acts with.</summary>
public sealed class FlowCredentialsTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    public static TheoryData<string> Surfaces => new() { "/api/v1", "" };

    private HttpClient Client(TestTenant tenant, string surface) =>
        surface.Length == 0 ? factory.ClientWithApiKeyHeader(tenant.ApiKey) : factory.ClientWithBearer(tenant.ApiKey);

    private static async Task<string> StoreCredentialAsync(HttpClient client, string integration, string name = "work")
    {
        var credentials = integration == "trello"
            ? new Dictionary<string, string> { ["api_key"] = "k0123456789", ["token"] = "t0123456789", ["app_secret"] = "s0123456789" }
            : new Dictionary<string, string> { ["bot_token"] = "xoxb-1-2-3", ["signing_secret"] = "s0123456789" };
        var response = await client.PostJsonAsync("/api/v1/integration_credentials/", new { integration_short_name = integration, name, credentials });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync())["id"]!.GetValue<string>();
    }

    /// <summary>An Echo operation, then a Trello Create Board operation naming <paramref name="credential"/> (a JSON value, as sent).</summary>
    private async Task<string> FlowJsonAsync(string credential, string? id = null)
    {
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var createBoard = await factory.TaskDefinitionIdAsync("trello", "Create Board");
        var idField = id is null ? "" : $"\"id\": \"{id}\", ";
        return "{" + idField + $$$"""
            "name": "Boards",
             "task_operations": [
               {"name": "echo", "task_definition": "{{{echo}}}", "index": 0, "parameters": {"message": "hi"}},
               {"name": "board", "task_definition": "{{{createBoard}}}", "index": 1, "parameters": {"name": "Launch"}, "integration_credential": {{{credential}}}}
             ],
             "dependencies": [{"source_task_operation": 0, "target_task_operation": 1}]}
            """;
    }

    private static JsonNode? Named(JsonNode flow, int index) =>
        flow["task_operations"]!.AsArray().Single(o => o!["index"]!.GetValue<int>() == index)!["integration_credential"];

    [Theory]
    [MemberData(nameof(Surfaces))]
    public async Task CreateUpdateGet_NamedCredential_RoundTripsOnBothSurfaces(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = Client(tenant, surface);
        var older = await StoreCredentialAsync(client, "trello", "older");
        var newer = await StoreCredentialAsync(client, "trello", "newer");

        var created = await client.PostAsync($"{surface}/flows/", JsonHelpers.RawJson(await FlowJsonAsync($"\"{older}\"")));
        Assert.True(created.StatusCode == HttpStatusCode.OK, await created.Content.ReadAsStringAsync());
        var flow = await created.ReadJsonAsync();
        var id = flow["id"]!.GetValue<string>();
        Assert.Equal(older, Named(flow, 1)!.GetValue<string>());
        // Present as null where none is named, like every null field.
        Assert.True(flow["task_operations"]!.AsArray().Single(o => o!["index"]!.GetValue<int>() == 0)!.AsObject().ContainsKey("integration_credential"));
        Assert.Null(Named(flow, 0));
        Assert.Equal(older, Named(await (await client.GetAsync($"{surface}/flows/?id={id}")).ReadJsonAsync(), 1)!.GetValue<string>());

        var replaced = await client.PutAsync($"{surface}/flows/", JsonHelpers.RawJson(await FlowJsonAsync($"\"{newer}\"", id)));
        Assert.True(replaced.StatusCode == HttpStatusCode.OK, await replaced.Content.ReadAsStringAsync());
        Assert.Equal(newer, Named(await replaced.ReadJsonAsync(), 1)!.GetValue<string>());
        var listed = (await (await client.GetAsync($"{surface}/flows/all")).ReadJsonAsync()).AsArray().Single(f => f!["id"]!.GetValue<string>() == id)!;
        Assert.Equal(newer, Named(listed, 1)!.GetValue<string>());

        var cleared = await client.PutAsync($"{surface}/flows/", JsonHelpers.RawJson(await FlowJsonAsync("null", id)));
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        Assert.Null(Named(await (await client.GetAsync($"{surface}/flows/?id={id}")).ReadJsonAsync(), 1));
    }

    public static TheoryData<string, string> InvalidCredentials() => new()
    {
        { "another organization's", "integration credential not found" },
        { "nonexistent", "integration credential not found" },
        { "deleted", "integration credential not found" },
        { "slack", "integration credential is for integration 'slack', but task 'Create Board' needs one for 'trello'" },
        { "not a uuid", "value is not a valid uuid" },
        { "a number", "value is not a valid uuid" },
    };

    [Theory]
    [MemberData(nameof(InvalidCredentials))]
    public async Task Create_InvalidCredential_Returns422AtTheOperationAndStoresNothing(string kind, string message)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var credential = kind switch
        {
            "another organization's" => $"\"{await StoreCredentialAsync(factory.ClientWithBearer((await factory.CreateTenantAsync()).ApiKey), "trello")}\"",
            "nonexistent" => $"\"{Guid.NewGuid()}\"",
            "deleted" => $"\"{await DeletedAsync(client)}\"",
            "slack" => $"\"{await StoreCredentialAsync(client, "slack")}\"",
            "not a uuid" => "\"my trello\"",
            _ => "42",
        };
        // A live Trello credential of its own, so that nothing about the refusal comes from having none.
        await StoreCredentialAsync(client, "trello", "live");

        var response = await client.PostAsync("/api/v1/flows/", JsonHelpers.RawJson(await FlowJsonAsync(credential)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["body.task_operations.1.integration_credential"], await response.ErrorLocationsAsync());
        Assert.Equal(message, await response.ErrorMessageAsync("body.task_operations.1.integration_credential"));
        Assert.Empty((await (await client.GetAsync("/api/v1/flows/all")).ReadJsonAsync()).AsArray());
    }

    [Fact]
    public async Task Create_CoreTaskNamingACredential_Returns422()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        var trello = await StoreCredentialAsync(client, "trello");
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");

        var response = await client.PostJsonAsync("/flows/", new
        {
            name = "f",
            task_operations = new[] { new { name = "echo", task_definition = echo, index = 0, integration_credential = trello } },
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("integration credential is for integration 'trello', but task 'Echo' needs one for 'core'",
            await response.ErrorMessageAsync("body.task_operations.0.integration_credential"));
    }

    [Theory]
    [MemberData(nameof(Surfaces))]
    public async Task Update_AnotherOrganizationsCredential_Returns422AndKeepsTheOldGraph(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = Client(tenant, surface);
        var own = await StoreCredentialAsync(client, "trello");
        var foreign = await StoreCredentialAsync(factory.ClientWithBearer((await factory.CreateTenantAsync()).ApiKey), "trello");
        var created = await client.PostAsync($"{surface}/flows/", JsonHelpers.RawJson(await FlowJsonAsync($"\"{own}\"")));
        var id = (await created.ReadJsonAsync())["id"]!.GetValue<string>();

        var response = await client.PutAsync($"{surface}/flows/", JsonHelpers.RawJson(await FlowJsonAsync($"\"{foreign}\"", id)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("integration credential not found", await response.ErrorMessageAsync("body.task_operations.1.integration_credential"));
        Assert.Equal(own, Named(await (await client.GetAsync($"{surface}/flows/?id={id}")).ReadJsonAsync(), 1)!.GetValue<string>());
    }

    private static async Task<string> DeletedAsync(HttpClient client)
    {
        var id = await StoreCredentialAsync(client, "trello", "gone");
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/integration_credentials/?id={id}")).StatusCode);
        return id;
    }
}
