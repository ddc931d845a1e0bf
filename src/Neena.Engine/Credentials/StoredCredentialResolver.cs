using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Neena.Integrations;
using Neena.Integrations.Credentials;
using Neena.Persistence;

namespace Neena.Engine.Credentials;

/// <summary>
/// Finds an organization's credential in <c>integration_credentials</c> and decrypts it. Each call uses a context of its own
/// whose tenant is the organization, so the tenant filter applies exactly as it does to that organization's API calls:
/// another organization's credential cannot be named.
/// </summary>
public sealed class StoredCredentialResolver(
    IServiceScopeFactory scopes,
    CredentialProtector protector,
    TimeProvider time,
    ILogger<StoredCredentialResolver> logger) : ICredentialResolver
{
    /// <summary>The acting email of the resolver's contexts (it writes only the last-use stamp, which audit leaves alone).</summary>
    private const string Actor = "engine";

    public async Task<IntegrationCredentials?> ResolveAsync(Guid organizationId, string integrationShortName, Guid? credentialId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(integrationShortName);
        await using var scope = scopes.CreateAsyncScope();
        await using var db = new NeenaDbContext(
            scope.ServiceProvider.GetRequiredService<DbContextOptions<NeenaDbContext>>(),
            new FixedTenantContext(organizationId, Actor));

        var query = db.IntegrationCredentials.AsNoTracking()
            .Where(c => c.Integration!.ShortName == integrationShortName && c.ProtectedFields != null);
        query = credentialId is { } id
            ? query.Where(c => c.Id == id)
            : query.OrderByDescending(c => c.CreatedDate).ThenByDescending(c => c.Id);
        var row = await query.Select(c => new { c.Id, c.ProtectedFields }).FirstOrDefaultAsync(cancellationToken);
        if (row is null)
            return null;

        IReadOnlyDictionary<string, string> fields;
        try
        {
            fields = protector.Unprotect(organizationId, row.Id, row.ProtectedFields!);
        }
        catch (CryptographicException ex)
        {
            // The key that encrypted it is not in the shared key ring (deleted, or written by a server with another ring).
            logger.LogError(ex, "Integration credential {CredentialId} cannot be decrypted", row.Id);
            throw new TaskFailedException(
                $"The credential for integration '{integrationShortName}' cannot be decrypted by this server; store it again.", ex);
        }

        var now = time.GetUtcNow().UtcDateTime;
        await db.IntegrationCredentials.Where(c => c.Id == row.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastUsedAt, now), cancellationToken);
        return new IntegrationCredentials(row.Id, integrationShortName, fields);
    }
}

public static class CredentialServiceCollectionExtensions
{
    /// <summary>
    /// What reading stored credentials takes: Data Protection with the key ring in PostgreSQL
    /// (<see cref="KeyRing.AddNeenaDataProtection"/>) and <see cref="StoredCredentialResolver"/> as the
    /// <see cref="ICredentialResolver"/>. Needs persistence and the integrations (for <see cref="CredentialProtector"/>).
    /// </summary>
    public static IServiceCollection AddNeenaCredentials(this IServiceCollection services)
    {
        services.AddNeenaDataProtection();
        services.TryAddSingleton<ICredentialResolver, StoredCredentialResolver>();
        return services;
    }
}
