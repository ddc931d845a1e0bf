using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.Triggers;
using Neena.StandIns;

namespace Neena.IntegrationTests.Platform;

public sealed class RateLimitedFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["RateLimiting:PermitLimit"] = "3",
        ["RateLimiting:WindowSeconds"] = "60",
        ["RateLimiting:WebhookFailurePermitLimit"] = "2",
        ["Webhooks:ProcessorEnabled"] = "false",
    };

    /// <summary>
    /// The server's clock, standing still unless a test moves it, so that windows are measured exactly. It starts at the
    /// real time: deliveries are signed with real timestamps, and keys and audit columns compare with it.
    /// </summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
        });
    }
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
    public async Task WebhookDeliveries_VerifiedOnesAreBudgetedPerTriggerOperation_ForgeriesPerAddress()
    {
        var tenant = await factory.CreateTenantAsync();
        var busy = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>", signingSecret: "whsec_a");
        var quiet = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>", signingSecret: "whsec_b");
        var platform = factory.CreateClient();
        Task<HttpResponseMessage> Forge(Guid operation) => platform.PostAsync($"/webhooks/{operation}", JsonHelpers.RawJson("{}"));
        Task<HttpResponseMessage> Deliver(Guid operation, string secret) =>
            platform.SendAsync(PlatformWebhooks.Neena($"/webhooks/{operation}", "{\"n\": \"" + Guid.NewGuid() + "\"}", secret));

        // Forgeries (and unknown operations) use up the address's budget of failed verifications, not the operation's.
        var forged = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
            forged.Add((await Forge(busy)).StatusCode);
        var unknown = await Forge(Guid.NewGuid());
        var forgedLimited = await Forge(quiet);
        var genuine = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
            genuine.Add((await Deliver(busy, "whsec_a")).StatusCode);
        var other = await Deliver(quiet, "whsec_b");
        var caller = await factory.ClientWithApiKeyHeader(tenant.ApiKey).GetAsync("/api/v1/users/");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], forged);
        Assert.Equal(HttpStatusCode.TooManyRequests, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, forgedLimited.StatusCode);
        Assert.True(forgedLimited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("Too Many Requests", await forgedLimited.DetailAsync());
        // Signed deliveries from the same address still go through, three per window to one operation.
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], genuine);
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        Assert.Equal(HttpStatusCode.OK, caller.StatusCode);
    }

    [Fact]
    public async Task RetryAfter_PartWayThroughTheWindow_SaysWhenItEnds()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users/")).StatusCode);

        factory.Clock.Advance(TimeSpan.FromSeconds(3));
        var limited = await client.GetAsync("/api/v1/users/");
        factory.Clock.Advance(TimeSpan.FromSeconds(56));
        var justBefore = await client.GetAsync("/api/v1/users/");
        factory.Clock.Advance(TimeSpan.FromSeconds(1));
        var afterwards = await client.GetAsync("/api/v1/users/");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        // The window opened with the first request and lasts 60 s; 3 s later 57 are left (the full 60 is wrong).
        Assert.Equal(TimeSpan.FromSeconds(57), limited.Headers.RetryAfter?.Delta);
        // A client that honours it is let in just then, not before.
        Assert.Equal(HttpStatusCode.TooManyRequests, justBefore.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), justBefore.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }
}
