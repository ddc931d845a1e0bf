using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Neena.Agent.Retrieval;
using Neena.Api.Services;
using Neena.Integrations;
using Neena.IntegrationTests.Infrastructure;
using Serilog.Events;

namespace Neena.IntegrationTests.Agent;

/// <summary>The real embedding model over the real catalogue in PostgreSQL.</summary>
public sealed class RetrievalTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    private TaskDefinitionIndex Index => factory.Services.GetRequiredService<TaskDefinitionIndex>();

    private async Task<Dictionary<Guid, (string Hash, DateTime At, int Dimensions)>> StoredAsync()
    {
        await using var db = factory.CreateDbContext();
        return await db.TaskDefinitionEmbeddings.AsNoTracking()
            .ToDictionaryAsync(e => e.TaskDefinitionId, e => (e.TextHash, e.EmbeddedAt, e.Vector.Length));
    }

    [Fact]
    public async Task Refresh_AfterStartup_EveryLiveDefinitionHasAVectorOfItsCurrentText()
    {
        _ = factory.Server;
        await Index.RefreshAsync(CancellationToken.None);

        await using var db = factory.CreateDbContext();
        var definitions = await db.TaskDefinitions.AsNoTracking().Include(d => d.Integration).ToListAsync();
        var stored = await StoredAsync();
        Assert.NotEmpty(definitions);
        foreach (var definition in definitions)
        {
            var (hash, _, dimensions) = stored[definition.Id];
            Assert.Equal(SentenceEmbedder.Dimensions, dimensions);
            Assert.Equal(TaskDefinitionIndex.Hash(factory.Services.GetRequiredService<SentenceEmbedder>().ModelName, TaskDefinitionIndex.EmbeddingText(definition, definition.Integration!.Name)), hash);
        }
    }

    [Fact]
    public async Task Embed_SimilarSentences_AreCloserThanUnrelatedOnes()
    {
        var embedder = factory.Services.GetRequiredService<SentenceEmbedder>();

        var v = await embedder.EmbedAsync(["Send a friendly greeting to Ada", "Say hello to Ada", "Delete the board and all its cards"], CancellationToken.None);

        Assert.All(v, x => Assert.Equal(SentenceEmbedder.Dimensions, x.Length));
        Assert.True(SentenceEmbedder.Cosine(v[0], v[1]) > SentenceEmbedder.Cosine(v[0], v[2]) + 0.2,
            $"similar {SentenceEmbedder.Cosine(v[0], v[1])}, unrelated {SentenceEmbedder.Cosine(v[0], v[2])}");
        Assert.True(embedder.HasLoadedModel);
    }

    [Fact]
    public async Task Embed_MoreTextsThanOneBatch_GivesEachTextTheVectorItGetsAlone()
    {
        var embedder = factory.Services.GetRequiredService<SentenceEmbedder>();
        // Different lengths, so batches are padded; more than two batches, so order across batches is checked.
        var texts = Enumerable.Range(0, 11)
            .Select(i => string.Join(' ', Enumerable.Repeat($"text number {i} about topic {(char)('a' + i)}", 1 + (i % 4) * 5)))
            .ToList();

        var together = await embedder.EmbedAsync(texts, CancellationToken.None);

        Assert.Equal(texts.Count, together.Length);
        for (var i = 0; i < texts.Count; i++)
        {
            var alone = (await embedder.EmbedAsync([texts[i]], CancellationToken.None))[0];
            Assert.True(SentenceEmbedder.Cosine(alone, together[i]) > 0.9999, $"text {i}: cosine {SentenceEmbedder.Cosine(alone, together[i])}");
        }
    }

    [Theory]
    [InlineData("Pause for ten seconds before continuing", "Wait")]
    [InlineData("Call the weather API over HTTP and return its JSON", "HTTP Request")]
    [InlineData("Fill a template with the customer's name", "Compose Text")]
    [InlineData("Post a message to the #general Slack channel", "Send Message")]
    [InlineData("Find the Slack user with the email ada@example.com and mention them", "Find User by Email")]
    [InlineData("React with a thumbs up to the Slack message", "Add Reaction")]
    [InlineData("List our Slack channels", "List Channels")]
    [InlineData("Add a comment to the Trello card", "Add Comment to Card")]
    [InlineData("Add a Done column to the Trello board", "Create List")]
    [InlineData("Open the Trello card and show its details", "Get Card")]
    [InlineData("Delete the Trello card", "Delete Card")]
    public async Task Search_Request_RanksTheTaskThatServesItFirst(string request, string expected)
    {
        _ = factory.Server;

        var candidates = await Index.SearchAsync(request, 8, CancellationToken.None);

        Assert.Equal(expected, candidates[0].Definition.TaskName);
        Assert.True(candidates.Zip(candidates.Skip(1)).All(p => p.First.Similarity >= p.Second.Similarity));
    }

    [Fact]
    public async Task Search_GreetingRequest_RanksComposeTextThenEchoFirst()
    {
        _ = factory.Server;

        var candidates = await Index.SearchAsync("Send a greeting composed from the request's name", 8, CancellationToken.None);

        Assert.Equal(["Compose Text", "Echo"], candidates.Take(2).Select(c => c.Definition.TaskName));
    }

    [Fact]
    public async Task Search_Count_LimitsTheCandidates()
    {
        _ = factory.Server;

        var candidates = await Index.SearchAsync("anything at all", 2, CancellationToken.None);

        Assert.Equal(2, candidates.Count);
    }

    [Fact]
    public async Task Restart_NothingChanged_EmbedsNothingAndNeverLoadsTheModel()
    {
        _ = factory.Server;
        // The catalogue as the code defines it (another test of this class edits a definition in the database).
        await using (var scope = factory.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<CatalogueSynchronizer>().SynchronizeAsync(IntegrationCatalogue.BuiltIn.Integrations, CancellationToken.None);
        await Index.RefreshAsync(CancellationToken.None);
        var before = await StoredAsync();

        // A second server on the same database: what a restart is.
        await using var restarted = factory.WithWebHostBuilder(b => b.UseSetting("Restarted", "yes"));
        _ = restarted.Server;
        var refresh = await restarted.Services.GetRequiredService<TaskDefinitionIndex>().RefreshAsync(CancellationToken.None);

        Assert.Equal(0, refresh.Embedded);
        Assert.Equal(before.Count, refresh.Current);
        Assert.False(restarted.Services.GetRequiredService<SentenceEmbedder>().HasLoadedModel);
        Assert.Equal(before, await StoredAsync());
    }

    [Fact]
    public async Task Refresh_OneDefinitionChanged_ReembedsOnlyThatOne()
    {
        _ = factory.Server;
        await Index.RefreshAsync(CancellationToken.None);
        var raiseError = await factory.TaskDefinitionIdAsync("core", "Raise Error");
        var before = await StoredAsync();
        await using (var db = factory.CreateDbContext())
        {
            var definition = await db.TaskDefinitions.SingleAsync(d => d.Id == raiseError);
            definition.Description += " Changed for a test.";
            await db.SaveChangesAsync();
        }

        var refresh = await Index.RefreshAsync(CancellationToken.None);

        var after = await StoredAsync();
        Assert.Equal(1, refresh.Embedded);
        Assert.NotEqual(before[raiseError].Hash, after[raiseError].Hash);
        Assert.True(after[raiseError].At > before[raiseError].At);
        Assert.All(before.Keys.Where(id => id != raiseError), id => Assert.Equal(before[id], after[id]));
        Assert.Equal(0, (await Index.RefreshAsync(CancellationToken.None)).Embedded);
    }
}

/// <summary>A server on a fresh database, so that nothing else has planned (or embedded) before it, with its log watched.</summary>
public sealed class LoggedNeenaFactory : NeenaFactory
{
    public LogEvents Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        Logs.KeepFrom(builder);
    }
}

public sealed class LazyEmbeddingTests(LoggedNeenaFactory factory) : IClassFixture<LoggedNeenaFactory>
{
    [Fact]
    public async Task Startup_ServerNeverPlans_NeverLoadsTheModelThenFirstPlanEmbedsTheCatalogue()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        var listed = await client.GetAsync("/api/v1/flow_runs/all");
        Assert.Equal(System.Net.HttpStatusCode.OK, listed.StatusCode);

        var embedder = factory.Services.GetRequiredService<SentenceEmbedder>();
        Assert.False(embedder.HasLoadedModel);
        await using (var db = factory.CreateDbContext())
            Assert.Equal(0, await db.TaskDefinitionEmbeddings.CountAsync());

        var requestId = await AgentTestSupport.CreateFlowRequestAsync(client, AgentTestSupport.GreetingRequest, metadata: AgentTestSupport.GreetingMetadata);
        var generated = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");

        Assert.Equal(System.Net.HttpStatusCode.OK, generated.StatusCode);
        Assert.True(embedder.HasLoadedModel);
        await using (var db = factory.CreateDbContext())
            Assert.Equal(await db.TaskDefinitions.CountAsync(), await db.TaskDefinitionEmbeddings.CountAsync());
        // Instead of waiting for a start-up embedding that should never come: the catalogue was embedded once, and by the
        // plan. Work started with the server is in no request, and would have embedded it first (it starts before any
        // request, and a plan's refresh waits for it on the advisory lock and then finds nothing left to embed).
        var embedded = Assert.Single(factory.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Embedded {Count} task definitions", StringComparison.Ordinal));
        Assert.Equal("/api/v1/flows/generate", (embedded.Properties.GetValueOrDefault("RequestPath") as ScalarValue)?.Value);
    }
}
