using System.Net;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.Triggers;

namespace Neena.IntegrationTests.Platform;

public sealed class RateLimitedFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["RateLimiting:PermitLimit"] = "3",
        ["RateLimiting:WindowSeconds"] = "60",
    };
}

public sealed class RateLimitTests(RateLimitedFactory factory) : IClassFixture<RateLimitedFactory>
{
    [Fact]
    public async Task Requests_OverTheLimit_Return429WithRetryAfterPerCredential()
    {
        var a = await factory.CreateTenantAsync();
        var b = await factory.CreateTenantAsync();
        var clientA = factory.ClientWithApiKeyHeader(a.ApiKey);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
            statuses.Add((await clientA.GetAsync("/api/v1/users/")).StatusCode);
        var limited = await clientA.GetAsync("/api/v1/users/");
        var otherCredential = await factory.ClientWithApiKeyHeader(b.ApiKey).GetAsync("/api/v1/users/");
        var health = await clientA.GetAsync("/health/live");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("Too Many Requests", await limited.DetailAsync());
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, otherCredential.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task WebhookDeliveries_AreBudgetedPerTriggerOperation()
    {
        var tenant = await factory.CreateTenantAsync();
        var busy = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>", signingSecret: "whsec_a");
        var quiet = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>", signingSecret: "whsec_b");
        var platform = factory.CreateClient();
        // Unsigned deliveries are refused (401), yet they count: a flood of forgeries is limited like any other.
        Task<HttpResponseMessage> Deliver(Guid operation) => platform.PostAsync($"/webhooks/{operation}", JsonHelpers.RawJson("{}"));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
            statuses.Add((await Deliver(busy)).StatusCode);
        var other = await Deliver(quiet);
        var caller = await factory.ClientWithApiKeyHeader(tenant.ApiKey).GetAsync("/api/v1/users/");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        Assert.Equal(HttpStatusCode.OK, caller.StatusCode);
    }

    [Fact]
    public async Task RetryAfter_PartWayThroughTheWindow_SaysWhenItEnds()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        var sinceBeforeFirst = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users/")).StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(3));
        var limited = await client.GetAsync("/api/v1/users/");
        var elapsed = sinceBeforeFirst.Elapsed;

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var retryAfter = (int)limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds;
        // The window opened with the first request (after the stopwatch started) and lasts 60 s, so at least
        // 60 - elapsed seconds are left; and at least the 3 s waited have passed, so at most 57 (the full 60 is wrong).
        Assert.InRange(retryAfter, (int)Math.Floor(60 - elapsed.TotalSeconds), 57);
    }
}
