using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Neena.Api.Services;
using Neena.Integrations;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Authoring;

public sealed class CatalogueTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    private static readonly string[] IntegrationKeys = ["class_name", "name", "short_name", "auth_type", "id", "created_date", "modified_date", "credential_fields"];

    private static readonly string[] TaskDefinitionKeys =
    [
        "task_name", "integration", "parameters", "input_type", "input_yml", "description", "python_method_name", "output_type", "output_yml",
        "output_parameters", "output_is_list", "id", "created_date", "modified_date", "created_by_email", "modified_by_email", "deleted_at", "belongs_to_integration",
    ];

    private static readonly string[] TriggerDefinitionKeys =
    [
        "id", "trigger_name", "integration", "python_method_name", "event_fields", "description", "event_type", "entity_field",
        "created_date", "modified_date", "created_by_email", "modified_by_email", "deleted_at", "belongs_to_integration",
    ];

    [Theory]
    [InlineData("/api/v1")]
    [InlineData("")]
    public async Task Integrations_ListAndGet_ServeTheBuiltIns(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithApiKeyHeader(tenant.ApiKey);

        var all = await (await client.GetAsync($"{surface}/integrations/all?skip=0&limit=100")).ReadJsonAsync();

        var core = all.AsArray().Single(i => i!["short_name"]!.GetValue<string>() == "core")!;
        var http = all.AsArray().Single(i => i!["short_name"]!.GetValue<string>() == "http")!;
        Assert.Equal(IntegrationKeys, core.AsObject().Select(p => p.Key));
        Assert.Equal("Neena Core", core["name"]!.GetValue<string>());
        Assert.Equal("none", core["auth_type"]!.GetValue<string>());
        Assert.Equal("HTTP", http["name"]!.GetValue<string>());
        var one = await (await client.GetAsync($"{surface}/integrations/?id={core["id"]}".Replace("\"", "", StringComparison.Ordinal))).ReadJsonAsync();
        Assert.Equal("core", one["short_name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/api/v1")]
    [InlineData("")]
    public async Task TaskDefinitions_ListAndGet_DescribeParametersAndIntegration(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);

        var all = await (await client.GetAsync($"{surface}/task_definitions/all")).ReadJsonAsync();
        var request = all.AsArray().Single(t => t!["task_name"]!.GetValue<string>() == "HTTP Request")!;
        var id = request["id"]!.GetValue<string>();
        var one = await (await client.GetAsync($"{surface}/task_definitions/?id={id}")).ReadJsonAsync();

        Assert.Equal(TaskDefinitionKeys, one.AsObject().Select(p => p.Key));
        Assert.Equal("http", one["belongs_to_integration"]!["short_name"]!.GetValue<string>());
        Assert.Equal(one["integration"]!.GetValue<string>(), one["belongs_to_integration"]!["id"]!.GetValue<string>());
        var url = one["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "url")!;
        Assert.False(url["optional"]!.GetValue<bool>());
        Assert.Equal("string", url["data_type"]!.GetValue<string>());
        Assert.True(one["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "headers")!["optional"]!.GetValue<bool>());
        Assert.Contains("HttpIntegration", one["python_method_name"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(one["input_yml"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Get_UnknownOrBadIds_Return404Or422()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/integrations/?id={Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/task_definitions/?id={Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.GetAsync("/api/v1/task_definitions/?id=nope")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.GetAsync("/api/v1/integrations/")).StatusCode);
    }

    [Fact]
    public async Task Synchronize_RunTwiceAndConcurrently_WritesNothingNew()
    {
        _ = factory.Server;
        var before = await SnapshotAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var scope = factory.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<CatalogueSynchronizer>().SynchronizeAsync(IntegrationCatalogue.BuiltIn.Integrations, CancellationToken.None);
        }));

        Assert.All(results, r => Assert.Equal(new CatalogueSynchronizer.Result(0, 0, 0), r));
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Synchronize_OnAnEmptyCatalogueConcurrently_InsertsEachRowOnce()
    {
        var isolated = new NeenaFactory();
        await ((IAsyncLifetime)isolated).InitializeAsync();
        _ = isolated.Server; // start-up synchronises once; empty the tables afterwards to race on inserts
        await using (var db = isolated.CreateDbContext())
            await db.Database.ExecuteSqlRawAsync("TRUNCATE task_definitions, integrations CASCADE");
        var synchronizers = Enumerable.Range(0, 3).Select(_ => isolated.Services.CreateAsyncScope()).ToList();

        await Task.WhenAll(synchronizers.Select(s => s.ServiceProvider.GetRequiredService<CatalogueSynchronizer>().SynchronizeAsync(IntegrationCatalogue.BuiltIn.Integrations, CancellationToken.None)));

        await using var check = isolated.CreateDbContext();
        var expectedTasks = IntegrationCatalogue.BuiltIn.Integrations.Sum(i => i.Tasks.Count);
        Assert.Equal(expectedTasks, await check.TaskDefinitions.CountAsync());
        Assert.Equal(IntegrationCatalogue.BuiltIn.Integrations.Count, await check.Integrations.CountAsync());
        Assert.Equal(IntegrationCatalogue.BuiltIn.Integrations.Sum(i => i.Triggers.Count), await check.WebhookTriggerDefinitions.CountAsync());
        foreach (var scope in synchronizers)
            await scope.DisposeAsync();
        await ((IAsyncLifetime)isolated).DisposeAsync();
    }

    [Fact]
    public async Task Synchronize_TaskRemovedFromCode_IsSoftDeletedAndComesBack()
    {
        _ = factory.Server;
        var builtIn = IntegrationCatalogue.BuiltIn.Integrations;
        var core = builtIn.Single(i => i.ShortName == "core");
        var withoutWait = builtIn.Select(i => i.ShortName == "core" ? i with { Tasks = core.Tasks.Where(t => t.TaskName != "Wait").ToList() } : i).ToList();

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var result = await scope.ServiceProvider.GetRequiredService<CatalogueSynchronizer>().SynchronizeAsync(withoutWait, CancellationToken.None);
            Assert.Equal(new CatalogueSynchronizer.Result(0, 0, 1), result);
        }
        await using (var db = factory.CreateDbContext())
        {
            var wait = await db.TaskDefinitions.IgnoreQueryFilters().SingleAsync(t => t.TaskName == "Wait");
            Assert.NotNull(wait.DeletedAt);
            Assert.False(await db.TaskDefinitions.AnyAsync(t => t.TaskName == "Wait"));
        }

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var result = await scope.ServiceProvider.GetRequiredService<CatalogueSynchronizer>().SynchronizeAsync(builtIn, CancellationToken.None);
            Assert.Equal(new CatalogueSynchronizer.Result(0, 1, 0), result);
        }
    }

    [Theory]
    [InlineData("/api/v1")]
    [InlineData("")]
    public async Task WebhookTriggerDefinitions_ListAndGet_DescribeEventFieldsAndEntity(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithApiKeyHeader(tenant.ApiKey);

        var all = await (await client.GetAsync($"{surface}/webhook_trigger_definitions/all")).ReadJsonAsync();
        var names = all.AsArray().Select(t => (t!["belongs_to_integration"]!["short_name"]!.GetValue<string>(), t["trigger_name"]!.GetValue<string>())).Order().ToList();
        var comment = all.AsArray().Single(t => t!["trigger_name"]!.GetValue<string>() == "Comment Added")!;
        var one = await (await client.GetAsync($"{surface}/webhook_trigger_definitions/?id={comment["id"]!.GetValue<string>()}")).ReadJsonAsync();

        Assert.Equal([("core", "Incoming Webhook"), ("slack", "Message Posted"), ("trello", "Card Created"), ("trello", "Comment Added")], names);
        Assert.Equal(TriggerDefinitionKeys, one.AsObject().Select(p => p.Key));
        Assert.Equal("commentCard", one["event_type"]!.GetValue<string>());
        Assert.Equal("card_id", one["entity_field"]!.GetValue<string>());
        Assert.Equal(one["integration"]!.GetValue<string>(), one["belongs_to_integration"]!["id"]!.GetValue<string>());
        Assert.Equal("Neena.Integrations.Trello.TrelloCommentAdded", one["python_method_name"]!.GetValue<string>());
        var text = one["event_fields"]!.AsArray().Single(f => f!["name"]!.GetValue<string>() == "text")!;
        Assert.Equal(["name", "json_path", "data_type", "doc_string", "optional"], text.AsObject().Select(p => p.Key));
        Assert.Equal("$.action.data.text", text["json_path"]!.GetValue<string>());
        Assert.Equal("string", text["data_type"]!.GetValue<string>());
        Assert.False(text["optional"]!.GetValue<bool>());
        Assert.Null(one["deleted_at"]);
    }

    [Fact]
    public async Task WebhookTriggerDefinitions_UnknownOrBadId_Returns404Or422()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);

        var missing = await client.GetAsync($"/api/v1/webhook_trigger_definitions/?id={Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("Webhook trigger definition not found", await missing.DetailAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.GetAsync("/webhook_trigger_definitions/?id=nope")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.GetAsync("/webhook_trigger_definitions/all?limit=1001")).StatusCode);
    }

    [Fact]
    public async Task Synchronize_TriggerRemovedFromCode_IsSoftDeletedAndComesBack()
    {
        _ = factory.Server;
        var builtIn = IntegrationCatalogue.BuiltIn.Integrations;
        var withoutComments = builtIn.Select(i => i.ShortName == "trello" ? i with { Triggers = i.Triggers.Where(t => t.TriggerName != "Comment Added").ToList() } : i).ToList();

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var result = await scope.ServiceProvider.GetRequiredService<CatalogueSynchronizer>().SynchronizeAsync(withoutComments, CancellationToken.None);
            Assert.Equal(new CatalogueSynchronizer.Result(0, 0, 1), result);
        }
        await using (var db = factory.CreateDbContext())
        {
            Assert.NotNull((await db.WebhookTriggerDefinitions.IgnoreQueryFilters().SingleAsync(t => t.TriggerName == "Comment Added")).DeletedAt);
            Assert.False(await db.WebhookTriggerDefinitions.AnyAsync(t => t.TriggerName == "Comment Added"));
        }

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var result = await scope.ServiceProvider.GetRequiredService<CatalogueSynchronizer>().SynchronizeAsync(builtIn, CancellationToken.None);
            Assert.Equal(new CatalogueSynchronizer.Result(0, 1, 0), result);
        }
    }

    [Fact]
    public async Task Synchronize_CredentialFieldsChangedInCode_UpdatesTheIntegration()
    {
        _ = factory.Server;
        var builtIn = IntegrationCatalogue.BuiltIn.Integrations;
        var slackWithoutSecret = builtIn.Select(i => i.ShortName == "slack" ? i with { CredentialFields = i.CredentialFields.Take(1).ToList() } : i).ToList();

        await using (var scope = factory.Services.CreateAsyncScope())
            Assert.Equal(new CatalogueSynchronizer.Result(0, 1, 0), await scope.ServiceProvider.GetRequiredService<CatalogueSynchronizer>().SynchronizeAsync(slackWithoutSecret, CancellationToken.None));
        await using (var db = factory.CreateDbContext())
            Assert.Equal(["bot_token"], (await db.Integrations.SingleAsync(i => i.ShortName == "slack")).CredentialFields.Select(f => f.Name));
        await using (var scope = factory.Services.CreateAsyncScope())
            Assert.Equal(new CatalogueSynchronizer.Result(0, 1, 0), await scope.ServiceProvider.GetRequiredService<CatalogueSynchronizer>().SynchronizeAsync(builtIn, CancellationToken.None));
    }

    private async Task<List<(Guid, DateTime)>> SnapshotAsync()
    {
        await using var db = factory.CreateDbContext();
        var integrations = await db.Integrations.IgnoreQueryFilters().Select(i => new { i.Id, i.ModifiedDate }).ToListAsync();
        var tasks = await db.TaskDefinitions.IgnoreQueryFilters().Select(t => new { t.Id, t.ModifiedDate }).ToListAsync();
        var triggers = await db.WebhookTriggerDefinitions.IgnoreQueryFilters().Select(t => new { t.Id, t.ModifiedDate }).ToListAsync();
        return integrations.Select(i => (i.Id, i.ModifiedDate)).Concat(tasks.Select(t => (t.Id, t.ModifiedDate)))
            .Concat(triggers.Select(t => (t.Id, t.ModifiedDate))).OrderBy(x => x.Item1).ToList();
    }
}
