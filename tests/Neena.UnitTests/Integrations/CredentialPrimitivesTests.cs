using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Neena.Integrations;
using Neena.Integrations.Credentials;
using Neena.UnitTests.Integrations.Platforms;

namespace Neena.UnitTests.Integrations;

public sealed class CredentialPrimitivesTests
{
    private static readonly Dictionary<string, string> Fields = new() { ["api_key"] = "key-0123456789", ["token"] = "token-abcdefghij" };

    [Fact]
    public void Protect_ThenUnprotect_ForTheSameCredential_RoundTrips()
    {
        var protector = new CredentialProtector(new EphemeralDataProtectionProvider());
        var (organization, credential) = (Guid.NewGuid(), Guid.NewGuid());

        var stored = protector.Protect(organization, credential, Fields);

        Assert.DoesNotContain("key-0123456789", stored, StringComparison.Ordinal);
        Assert.Equal(Fields, protector.Unprotect(organization, credential, stored));
    }

    [Fact]
    public void Unprotect_CiphertextOfAnotherCredentialOrOrganization_Throws()
    {
        var protector = new CredentialProtector(new EphemeralDataProtectionProvider());
        var (organization, credential) = (Guid.NewGuid(), Guid.NewGuid());
        var stored = protector.Protect(organization, credential, Fields);

        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(Guid.NewGuid(), credential, stored));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(organization, Guid.NewGuid(), stored));
    }

    [Fact]
    public void IntegrationCredentials_PrintedOrSerialised_ShowNoValue()
    {
        var credentials = new IntegrationCredentials(Guid.NewGuid(), "trello", Fields);

        var text = $"{credentials}";
        var json = JsonSerializer.Serialize(new { credentials }, TaskInvoker.IntegrationJson);

        Assert.Contains("api_key", text, StringComparison.Ordinal);
        Assert.DoesNotContain("key-0123456789", text + json, StringComparison.Ordinal);
        Assert.DoesNotContain("token-abcdefghij", text + json, StringComparison.Ordinal);
        Assert.Equal("""{"credentials":"[redacted]"}""", json);
    }

    [Fact]
    public void Require_MissingField_FailsPermanentlyNamingIt()
    {
        var credentials = new IntegrationCredentials(Guid.NewGuid(), "trello", Fields);

        var error = Assert.Throws<TaskFailedException>(() => credentials.Require("app_secret"));

        Assert.Contains("'app_secret'", error.Message, StringComparison.Ordinal);
        Assert.Equal("key-0123456789", credentials.Require("api_key"));
    }

    [Fact]
    public async Task DefaultTaskContext_HasNoCredentials_AndSaysForWhichIntegration()
    {
        var context = TaskTestSupport.Context();

        var error = await Assert.ThrowsAsync<TaskFailedException>(() => context.Credentials.GetAsync("trello", CancellationToken.None));

        Assert.Equal("No credential for integration 'trello'", error.Message);
    }

    [Fact]
    public async Task ForOrganization_ResolvesTheNamedOrNewest_AndFailsClearlyOtherwise()
    {
        var resolver = new MemoryCredentialResolver();
        var stored = resolver.Add("trello", Fields);
        var newest = CredentialAccessor.ForOrganization(resolver, resolver.OrganizationId);
        var named = CredentialAccessor.ForOrganization(resolver, resolver.OrganizationId, stored.Id);
        var missing = Guid.NewGuid();
        var namedMissing = CredentialAccessor.ForOrganization(resolver, resolver.OrganizationId, missing);
        var otherOrganization = CredentialAccessor.ForOrganization(resolver, Guid.NewGuid());

        Assert.Same(stored, await newest.GetAsync("trello", CancellationToken.None));
        Assert.Same(stored, await named.GetAsync("trello", CancellationToken.None));
        Assert.Equal("No credential for integration 'slack'",
            (await Assert.ThrowsAsync<TaskFailedException>(() => newest.GetAsync("slack", CancellationToken.None))).Message);
        Assert.Equal($"Credential '{missing}' for integration 'trello' no longer exists",
            (await Assert.ThrowsAsync<TaskFailedException>(() => namedMissing.GetAsync("trello", CancellationToken.None))).Message);
        Assert.Equal("No credential for integration 'trello'",
            (await Assert.ThrowsAsync<TaskFailedException>(() => otherOrganization.GetAsync("trello", CancellationToken.None))).Message);
    }

    [Fact]
    public async Task ForOrganization_TaskThatNeedsNoCredential_NeverAsksTheResolver()
    {
        var resolver = new MemoryCredentialResolver();
        var stored = resolver.Add("trello", Fields);
        var context = new TaskContext(new ServiceCollection().BuildServiceProvider(), NullLogger.Instance, CancellationToken.None)
        {
            Credentials = CredentialAccessor.ForOrganization(resolver, resolver.OrganizationId, stored.Id),
        };

        var echoed = await TaskTestSupport.InvokeAsync("Neena.Integrations.Core.CoreIntegration.Echo", new System.Text.Json.Nodes.JsonObject { ["message"] = "hi" }, context);

        Assert.NotNull(echoed);
        Assert.Equal(0, resolver.Calls);
    }
}
