using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Neena.Api.RunEvents;
using Neena.Domain.ApiKeys;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Operations;

/// <summary>Small limits, so that one tenant can reach its share of the streams and the instance's.</summary>
public sealed class StreamLimitsFactory : NeenaFactory
{
    public StreamLimitsFactory() => UseKestrel(0);

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:Enabled"] = "false",
        ["RunEvents:MaxStreams"] = "4",
        ["RunEvents:MaxStreamsPerOrganization"] = "3",
        ["RunEvents:MaxStreamsPerCredential"] = "2",
        ["RunEvents:HeartbeatSeconds"] = "1",
    };

    public HttpClient Http(string apiKey) => KestrelClientWithBearer(apiKey, TimeSpan.FromMinutes(1));
}

public sealed class RunEventLimitsTests(StreamLimitsFactory factory) : IClassFixture<StreamLimitsFactory>
{
    private async Task<(HttpClient Client, string Run)> OpenRunAsync(TestTenant tenant)
    {
        var client = factory.Http(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "one step", [new Engine.Op(0, echo, new { message = "one" })]);
        var request = await CreateRequestAsync(client, flow);
        return (client, await CreateRunAsync(client, flow, request, approved: false));
    }

    /// <summary>A second API key of the tenant's organization (another credential, the same organization).</summary>
    private async Task<string> SecondKeyAsync(TestTenant tenant)
    {
        var (key, plaintext) = ApiKey.Issue(tenant.OrganizationId, tenant.UserId, "second", null, null);
        await using var db = factory.CreateDbContext();
        db.Add(key);
        await db.SaveChangesAsync();
        return plaintext;
    }

    private static async Task<(HttpStatusCode Status, HttpResponseMessage Response)> OpenAsync(HttpClient client, string run, List<SseClient> open)
    {
        var (status, stream, response) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={run}");
        if (stream is not null)
        {
            open.Add(stream);
            Assert.Equal("run", (await stream.NextAsync())!.Event);
        }
        return (status, response);
    }

    private static async Task AssertRefusedAsync((HttpStatusCode Status, HttpResponseMessage Response) answer, HttpStatusCode expected)
    {
        Assert.Equal(expected, answer.Status);
        Assert.NotNull(answer.Response.Headers.RetryAfter);
        Assert.False(string.IsNullOrEmpty(await answer.Response.DetailAsync()));
    }

    [Fact]
    public async Task Events_OneOrganizationAtItsLimits_Answers429WhileAnotherOrganizationsStreamStillOpens()
    {
        var greedy = await factory.CreateTenantAsync();
        var (first, greedyRun) = await OpenRunAsync(greedy);
        var second = factory.Http(await SecondKeyAsync(greedy));
        var other = await factory.CreateTenantAsync();
        var (otherClient, otherRun) = await OpenRunAsync(other);
        var hub = factory.Services.GetRequiredService<RunEventHub>();
        var open = new List<SseClient>();
        try
        {
            // Per credential: 2.
            Assert.Equal(HttpStatusCode.OK, (await OpenAsync(first, greedyRun, open)).Status);
            Assert.Equal(HttpStatusCode.OK, (await OpenAsync(first, greedyRun, open)).Status);
            await AssertRefusedAsync(await OpenAsync(first, greedyRun, open), HttpStatusCode.TooManyRequests);
            // Per organization: 3, whichever of its credentials asks.
            Assert.Equal(HttpStatusCode.OK, (await OpenAsync(second, greedyRun, open)).Status);
            await AssertRefusedAsync(await OpenAsync(second, greedyRun, open), HttpStatusCode.TooManyRequests);
            Assert.Equal(3, hub.OpenStreamsOf(greedy.OrganizationId));

            // The other organization still gets a stream: the greedy one could not take the instance's last place.
            Assert.Equal(HttpStatusCode.OK, (await OpenAsync(otherClient, otherRun, open)).Status);
            // Now the instance (4) is full: that is the server's limit, 503, even for an organization under its own.
            await AssertRefusedAsync(await OpenAsync(factory.Http((await factory.CreateTenantAsync()).ApiKey), otherRun, open), HttpStatusCode.ServiceUnavailable);

            // A closed stream gives its places back (credential, organization, instance).
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (hub.OpenStreamsOf(greedy.OrganizationId) > 2 && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            Assert.Equal(HttpStatusCode.OK, (await OpenAsync(first, greedyRun, open)).Status);
        }
        finally
        {
            foreach (var stream in open)
                await stream.DisposeAsync();
            // The server notices the closed connections (at the latest when a heartbeat fails): every count is back to zero.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((hub.OpenStreams > 0 || hub.OpenStreamsOf(greedy.OrganizationId) > 0) && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            Assert.Equal(0, hub.OpenStreams);
            Assert.Equal(0, hub.OpenStreamsOf(greedy.OrganizationId));
            Assert.Equal(0, hub.OpenStreamsOf(other.OrganizationId));
        }
    }
}
