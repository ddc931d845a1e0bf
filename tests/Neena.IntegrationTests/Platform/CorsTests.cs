using System.Net;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Platform;

public sealed class CorsFactory : NeenaFactory
{
    public const string Frontend = "http://localhost:8080";

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Cors:AllowedOrigins:0"] = Frontend,
        ["Cors:AllowedOrigins:1"] = "https://app.example.com",
    };
}

/// <summary>Contract §3: a browser frontend on a listed origin can call the API; nobody else gets CORS headers.</summary>
public sealed class CorsTests(CorsFactory factory) : IClassFixture<CorsFactory>
{
    private const string RequestedHeaders = "authorization, content-type, api_key, idempotency-key, last-event-id";

    private static HttpRequestMessage Preflight(string path, string origin, string method = "GET")
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", RequestedHeaders);
        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    [Theory]
    [InlineData("/api/v1/flow_runs/all", "GET")]
    [InlineData("/flow_requests/", "POST")]
    [InlineData("/api/v1/flows/", "PUT")]
    [InlineData("/api/v1/users/", "GET")]
    public async Task Preflight_FromListedOrigin_Answers204BeforeAuthentication(string path, string method)
    {
        var response = await factory.CreateClient().SendAsync(Preflight(path, CorsFactory.Frontend, method));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(CorsFactory.Frontend, Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains(method, Header(response, "Access-Control-Allow-Methods")!, StringComparison.Ordinal);
        var allowed = Header(response, "Access-Control-Allow-Headers")!.Split(',', StringSplitOptions.TrimEntries);
        foreach (var header in new[] { "Authorization", "Content-Type", "api_key", "Idempotency-Key", "Last-Event-ID" })
            Assert.Contains(header, allowed, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Answers_ToListedOrigin_NameItAndExposeRequestIdAndRetryAfter()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        client.DefaultRequestHeaders.Add("Origin", "https://app.example.com");
        var anonymous = factory.CreateClient();
        anonymous.DefaultRequestHeaders.Add("Origin", "https://app.example.com");

        var ok = await client.GetAsync("/api/v1/users/");
        var refused = await anonymous.GetAsync("/api/v1/users/");
        var invalid = await client.GetAsync("/api/v1/flows/?id=nope");
        var missing = await anonymous.GetAsync("/api/v1/nowhere");

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        foreach (var response in new[] { ok, refused, invalid, missing })
        {
            Assert.Equal("https://app.example.com", Header(response, "Access-Control-Allow-Origin"));
            var exposed = Header(response, "Access-Control-Expose-Headers")!.Split(',', StringSplitOptions.TrimEntries);
            Assert.Contains("X-Request-Id", exposed, StringComparer.OrdinalIgnoreCase);
            Assert.Contains("Retry-After", exposed, StringComparer.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task AnotherOrigin_GetsNoCorsHeaders_AndItsPreflightIsNotAnswered()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        client.DefaultRequestHeaders.Add("Origin", "https://evil.example.com");

        var answer = await client.GetAsync("/api/v1/users/");
        var preflight = await factory.CreateClient().SendAsync(Preflight("/api/v1/users/", "https://evil.example.com"));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Null(Header(answer, "Access-Control-Allow-Origin"));
        Assert.NotEqual(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Null(Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Null(Header(preflight, "Access-Control-Allow-Methods"));
    }

    [Theory]
    [InlineData("/webhooks/")]
    [InlineData("/api/v1/webhooks/")]
    public async Task WebhookReceiver_SendsNoCorsHeaders(string prefix)
    {
        var path = prefix + Guid.NewGuid();
        var client = factory.CreateClient();
        var post = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonHelpers.RawJson("{}") };
        post.Headers.Add("Origin", CorsFactory.Frontend);

        var delivery = await client.SendAsync(post);
        var preflight = await client.SendAsync(Preflight(path, CorsFactory.Frontend, "POST"));

        Assert.Equal(HttpStatusCode.NotFound, delivery.StatusCode); // no such operation
        Assert.Null(Header(delivery, "Access-Control-Allow-Origin"));
        Assert.NotEqual(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Null(Header(preflight, "Access-Control-Allow-Origin"));
    }
}

/// <summary>By default (<c>Cors:AllowedOrigins</c> empty) there is no CORS: a browser's cross-origin call is refused.</summary>
public sealed class CorsOffTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    [Fact]
    public async Task NoAllowedOrigins_NoCorsHeaders()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        client.DefaultRequestHeaders.Add("Origin", CorsFactory.Frontend);
        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/v1/users/");
        preflight.Headers.Add("Origin", CorsFactory.Frontend);
        preflight.Headers.Add("Access-Control-Request-Method", "GET");

        var answer = await client.GetAsync("/api/v1/users/");
        var refused = await factory.CreateClient().SendAsync(preflight);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.NotEqual(HttpStatusCode.NoContent, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
