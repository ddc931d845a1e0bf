using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Neena.IntegrationTests.Infrastructure;
using Neena.Persistence;
using Npgsql;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Operations;

/// <summary>
/// The server with a pool of two connections that gives up waiting for one after five seconds, so that the test can
/// take every connection itself (from the server's own data source) and see what requests and streams do without one.
/// </summary>
public sealed class TinyPoolFactory : NeenaFactory
{
    public TinyPoolFactory() => UseKestrel(0);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        ConnectionString = new NpgsqlConnectionStringBuilder(ConnectionString) { MaxPoolSize = 2, Timeout = 5 }.ConnectionString;
    }

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:Enabled"] = "false",
        ["RunEvents:HeartbeatSeconds"] = "1",
    };

    public HttpClient Http(string apiKey) => KestrelClientWithBearer(apiKey, TimeSpan.FromMinutes(1));

    /// <summary>
    /// Every connection of the server's pool that can be had, held until disposed: a connection the server holds itself
    /// meanwhile (a background poll) stays its own, the rest are taken until the pool has none to give.
    /// </summary>
    public async Task<IAsyncDisposable> TakeEveryConnectionAsync()
    {
        var dataSource = Services.GetRequiredService<NpgsqlDataSource>();
        var held = new List<NpgsqlConnection>();
        for (var i = 0; i < 2; i++)
        {
            try
            {
                held.Add(await dataSource.OpenConnectionAsync());
            }
            catch (NpgsqlException) when (held.Count > 0)
            {
                break;
            }
        }
        return new Held(held);
    }

    private sealed class Held(List<NpgsqlConnection> connections) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var connection in connections)
                await connection.DisposeAsync();
        }
    }
}

public sealed class DatabaseExhaustionTests(TinyPoolFactory factory) : IClassFixture<TinyPoolFactory>
{
    private async Task<(HttpClient Client, string Run)> PendingRunAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.Http(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "one step", [new Engine.Op(0, echo, new { message = "one" })]);
        var request = await CreateRequestAsync(client, flow);
        return (client, await CreateRunAsync(client, flow, request, approved: false));
    }

    [Fact]
    public async Task Requests_WhenThePoolIsExhausted_Answer503WithRetryAfterNever500()
    {
        var (client, run) = await PendingRunAsync();
        HttpResponseMessage[] answers;
        await using (await factory.TakeEveryConnectionAsync())
        {
            // Reads and writes, as many at once as a busy server sees; each waits for a connection and gives up.
            answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => (i % 3) switch
            {
                0 => client.GetAsync($"/api/v1/flow_runs/?id={run}"),
                1 => client.GetAsync("/api/v1/flow_requests/all"),
                _ => client.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={run}", null),
            }));
        }

        foreach (var answer in answers)
        {
            var body = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)answer.StatusCode}: {body}");
            Assert.NotNull(answer.Headers.RetryAfter);
            Assert.False(string.IsNullOrEmpty(await answer.DetailAsync()));
        }
        // Connections given back: the same requests succeed.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/flow_runs/?id={run}")).StatusCode);
    }

    [Fact]
    public async Task Events_StreamWhoseRunCanNoLongerBeRead_EndsWithItsEndEvent()
    {
        var (client, run) = await PendingRunAsync();
        var (status, stream, _) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={run}");
        Assert.Equal(HttpStatusCode.OK, status);
        await using var sse = stream!;
        Assert.Equal("run", (await sse.NextAsync())!.Event);

        List<SseEvent> events;
        // The next heartbeat's read finds no connection: the stream ends properly instead of being cut.
        await using (await factory.TakeEveryConnectionAsync())
            events = await sse.ToEndAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("end", events[^1].Event);
        var end = events[^1].Json;
        Assert.Equal(run, end["id"]!.GetValue<string>());
        Assert.Equal("pending", end["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(end["detail"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ConnectionBudget_PoolLargerThanTheServerAllows_IsReported()
    {
        var defaults = new NpgsqlConnectionStringBuilder(PersistenceServiceCollectionExtensions.Tune("Host=localhost;Database=x"));
        Assert.Equal(PersistenceServiceCollectionExtensions.DefaultMaxPoolSize, defaults.MaxPoolSize);
        // No session reset per pooled connection (one transaction each, issue 23), unless the connection string asks for it.
        Assert.True(defaults.NoResetOnClose);
        Assert.False(new NpgsqlConnectionStringBuilder(PersistenceServiceCollectionExtensions.Tune("Host=localhost;No Reset On Close=false")).NoResetOnClose);
        Assert.Equal(7, new NpgsqlConnectionStringBuilder(PersistenceServiceCollectionExtensions.Tune("Host=localhost;Maximum Pool Size=7")).MaxPoolSize);
        // Large reads in fewer receive calls (the run lists), unless the connection string sets its own.
        Assert.Equal(PersistenceServiceCollectionExtensions.DefaultReadBufferSize, defaults.ReadBufferSize);
        Assert.Equal(16384, new NpgsqlConnectionStringBuilder(PersistenceServiceCollectionExtensions.Tune("Host=localhost;Read Buffer Size=16384")).ReadBufferSize);

        await using var settings = NpgsqlDataSource.Create(factory.ConnectionString);
        await using (var show = settings.CreateCommand("SHOW max_connections"))
        {
            var max = int.Parse((string)(await show.ExecuteScalarAsync())!, System.Globalization.CultureInfo.InvariantCulture);
            await using var tooLarge = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(factory.ConnectionString) { MaxPoolSize = max }.ConnectionString);
            var refused = await ConnectionBudget.CheckAsync(tooLarge, ConnectionBudget.ListenerConnections, CancellationToken.None);
            Assert.Contains("max_connections", refused.Problem);
            Assert.Equal(max, refused.MaxConnections);
        }
        await using var fits = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(factory.ConnectionString)
        {
            MaxPoolSize = PersistenceServiceCollectionExtensions.DefaultMaxPoolSize,
        }.ConnectionString);
        Assert.Null((await ConnectionBudget.CheckAsync(fits, ConnectionBudget.ListenerConnections, CancellationToken.None)).Problem);
    }
}
