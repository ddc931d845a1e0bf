using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Neena.Domain.ApiKeys;
using Neena.Domain.Organizations;
using Neena.Domain.Users;
using Neena.Persistence;

namespace Neena.IntegrationTests.Infrastructure;

/// <summary>The real server in memory, on a database of its own, with a local HS256 JWT issuer for tests.</summary>
public class NeenaFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string Issuer = "https://neena.test/";
    public const string Audience = "https://api.neena.test";
    public static readonly byte[] SigningKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    public string ConnectionString { get; protected set; } = "";

    protected virtual IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>();

    public virtual async Task InitializeAsync() => ConnectionString = await TestDatabase.CreateDatabaseAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await DisposeResourcesAsync();
    }

    /// <summary>Releases what <see cref="InitializeAsync"/> made, once the server has stopped: by default, its database.</summary>
    protected virtual Task DisposeResourcesAsync() => TestDatabase.DropDatabaseAsync(ConnectionString);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Neena", ConnectionString);
        builder.UseSetting("Auth:Jwt:SigningKey", Convert.ToBase64String(SigningKey));
        builder.UseSetting("Auth:Jwt:Issuer", Issuer);
        builder.UseSetting("Auth:Jwt:Audience", Audience);
        builder.UseSetting("RateLimiting:PermitLimit", "0");
        // No test reaches the real Slack or Trello: unless a test points them at a stand-in, they are a closed local port.
        builder.UseSetting("Integrations:Slack:BaseUrl", "http://127.0.0.1:9/api/");
        builder.UseSetting("Integrations:Trello:BaseUrl", "http://127.0.0.1:9/1/");
        builder.UseSetting("Integrations:Slack:RetryDelayMilliseconds", "20");
        builder.UseSetting("Integrations:Trello:RetryDelayMilliseconds", "20");
        foreach (var (key, value) in ExtraSettings)
            builder.UseSetting(key, value);
    }

    public NeenaDbContext CreateDbContext(Guid? organizationId = null)
    {
        var options = new DbContextOptionsBuilder<NeenaDbContext>();
        PersistenceServiceCollectionExtensions.Configure(options.UseNpgsql(ConnectionString, PersistenceServiceCollectionExtensions.ConfigureNpgsql));
        options.AddInterceptors(new AuditInterceptor(TimeProvider.System));
        return new NeenaDbContext(options.Options, new FixedTenantContext(organizationId));
    }

    /// <summary>An organization with one user and an API key, created directly in the database.</summary>
    public async Task<TestTenant> CreateTenantAsync(string? email = null, IEnumerable<string>? permissions = null, DateTime? expiresAt = null)
    {
        email ??= $"user-{Guid.NewGuid():N}@example.com";
        await using var db = CreateDbContext();
        var organization = new Organization { Name = $"org of {email}" };
        var user = new User { Email = email, NormalizedEmail = User.Normalize(email), FullName = "Test User", Auth0Id = "auth0|" + Guid.NewGuid().ToString("N"), OrganizationId = organization.Id };
        var (key, plaintext) = ApiKey.Issue(organization.Id, user.Id, "test", permissions, expiresAt);
        db.AddRange(organization, user, key);
        await db.SaveChangesAsync();
        return new TestTenant(organization.Id, user.Id, user.Email, user.Auth0Id, key.Id, plaintext);
    }

    /// <summary>
    /// A client over a real socket to a factory that called <c>UseKestrel</c> (streams, socket buffers and framing are
    /// what the in-memory server does not have), sending <paramref name="apiKey"/> as a bearer token.
    /// </summary>
    public HttpClient KestrelClientWithBearer(string apiKey, TimeSpan timeout, HttpMessageHandler? handler = null)
    {
        StartServer();
        var address = Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient(handler ?? new SocketsHttpHandler()) { BaseAddress = new Uri(address), Timeout = timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public HttpClient ClientWithBearer(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public HttpClient ClientWithApiKeyHeader(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("api_key", key);
        return client;
    }

    public static string Jwt(
        string subject,
        string? email,
        IEnumerable<string>? permissions = null,
        string issuer = Issuer,
        string audience = Audience,
        DateTime? expires = null,
        byte[]? key = null,
        IDictionary<string, object>? extraClaims = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = subject };
        if (email is not null)
            claims["email"] = email;
        if (permissions is not null)
            claims["permissions"] = permissions.ToArray();
        foreach (var (k, v) in extraClaims ?? new Dictionary<string, object>())
            claims[k] = v;
        var expiry = expires ?? DateTime.UtcNow.AddHours(1);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = expiry.AddHours(-2),
            NotBefore = expiry.AddHours(-2),
            Expires = expiry,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key ?? SigningKey), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    /// <summary>An unsigned token (<c>alg: none</c>), which must always be refused.</summary>
    public static string UnsignedJwt(string subject, string email)
    {
        static string B64(string json) => Base64UrlEncoder.Encode(json);
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        return $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64($"{{\"sub\":\"{subject}\",\"email\":\"{email}\",\"iss\":\"{Issuer}\",\"aud\":\"{Audience}\",\"exp\":{exp}}}")}.";
    }
}

public sealed record TestTenant(Guid OrganizationId, Guid UserId, string Email, string? Auth0Id, Guid ApiKeyId, string ApiKey);
