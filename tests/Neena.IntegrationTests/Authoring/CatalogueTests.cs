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

    private async Task<List<(Guid, DateTime)>> SnapshotAsync()
    {
        await using var db = factory.CreateDbContext();
        var integrations = await db.Integrations.IgnoreQueryFilters().Select(i => new { i.Id, i.ModifiedDate }).ToListAsync();
        var tasks = await db.TaskDefinitions.IgnoreQueryFilters().Select(t => new { t.Id, t.ModifiedDate }).ToListAsync();
        return integrations.Select(i => (i.Id, i.ModifiedDate)).Concat(tasks.Select(t => (t.Id, t.ModifiedDate))).OrderBy(x => x.Item1).ToList();
    }
}
