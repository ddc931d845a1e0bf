using Microsoft.EntityFrameworkCore;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.IntegrationCredentials;
using Neena.Api.Errors;
using Neena.Domain.Credentials;
using Neena.Integrations;
using Neena.Integrations.Credentials;
using Neena.Persistence;

namespace Neena.Api.Services;

/// <summary>
/// An organization's integration credentials: stored encrypted (<see cref="CredentialProtector"/>), answered with their
/// field names only, destroyed on delete, and checked against their platform on request.
/// </summary>
public sealed class IntegrationCredentialService(
    NeenaDbContext db,
    CredentialProtector protector,
    ICredentialResolver resolver,
    IntegrationCatalogue catalogue,
    IServiceProvider services,
    TimeProvider time)
{
    public const string NotFound = "Integration credential not found";

    /// <summary>How long a check may take, retries included; a platform that slow is reported as not answering.</summary>
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(60);

    public async Task<IntegrationCredentialResponse> CreateAsync(CreateIntegrationCredentialRequest request, CancellationToken cancellationToken)
    {
        var organizationId = db.Tenant.OrganizationId ?? throw ApiException.Forbidden(FlowRequestService.ForeignOrganization);
        var integration = await FindIntegrationAsync(request, cancellationToken);
        var location = request.Integration is not null ? "body.integration" : "body.integration_short_name";
        if (integration.CredentialFields.Count == 0)
            throw new RequestValidationException(location, $"integration '{integration.ShortName}' takes no credentials");

        var declared = integration.CredentialFields.Select(f => f.Name).ToList();
        var given = request.Credentials!;
        var errors = declared.Where(f => !given.ContainsKey(f)).Select(f => new KeyValuePair<string, string>($"body.credentials.{f}", "field required"))
            .Concat(given.Keys.Where(f => !declared.Contains(f, StringComparer.Ordinal))
                .Select(f => new KeyValuePair<string, string>($"body.credentials.{f}", $"extra fields not permitted; '{integration.ShortName}' takes {string.Join(", ", declared)}")))
            .ToList();
        if (errors.Count > 0)
            throw new RequestValidationException(errors);

        var credential = new IntegrationCredential
        {
            OrganizationId = organizationId,
            IntegrationId = integration.Id,
            Name = request.Name!,
            FieldNames = declared,
        };
        credential.ProtectedFields = protector.Protect(organizationId, credential.Id, declared.ToDictionary(f => f, f => given[f]!, StringComparer.Ordinal));
        db.IntegrationCredentials.Add(credential);
        await db.SaveChangesAsync(cancellationToken);
        return Response(credential, integration.ShortName);
    }

    public async Task<IntegrationCredentialResponse> GetAsync(Guid id, CancellationToken cancellationToken) =>
        await Project(db.IntegrationCredentials.AsNoTracking().Where(c => c.Id == id)).FirstOrDefaultAsync(cancellationToken)
        ?? throw ApiException.NotFound(NotFound);

    public async Task<IReadOnlyList<IntegrationCredentialResponse>> ListAsync(PageQuery page, CancellationToken cancellationToken) =>
        await Project(db.IntegrationCredentials.AsNoTracking().NewestFirst(page)).ToListAsync(cancellationToken);

    /// <summary>Soft-deletes the credential and destroys its encrypted values in the same write.</summary>
    public async Task<IntegrationCredentialResponse> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        var credential = await db.IntegrationCredentials.Include(c => c.Integration).FirstOrDefaultAsync(c => c.Id == id, cancellationToken)
            ?? throw ApiException.NotFound(NotFound);
        credential.Delete(time.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(cancellationToken);
        return Response(credential, credential.Integration!.ShortName);
    }

    /// <summary>Asks the credential's platform whether it accepts the credential; refusals are answers (<c>ok: false</c>), not errors.</summary>
    public async Task<CredentialCheckResponse> CheckAsync(Guid id, CancellationToken cancellationToken)
    {
        var organizationId = db.Tenant.OrganizationId ?? throw ApiException.NotFound(NotFound);
        var shortName = await db.IntegrationCredentials.AsNoTracking().Where(c => c.Id == id).Select(c => c.Integration!.ShortName)
            .FirstOrDefaultAsync(cancellationToken) ?? throw ApiException.NotFound(NotFound);
        var descriptor = catalogue.Integrations.FirstOrDefault(i => i.ShortName == shortName);
        if (descriptor?.IntegrationType is null || !typeof(ICredentialCheck).IsAssignableFrom(descriptor.IntegrationType))
            return new CredentialCheckResponse(false, $"This server cannot check credentials for integration '{shortName}'.");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            var credentials = await resolver.ResolveAsync(organizationId, shortName, id, timeout.Token)
                ?? throw ApiException.NotFound(NotFound);
            var check = (ICredentialCheck)ActivatorUtilities.CreateInstance(services, descriptor.IntegrationType);
            var result = await check.CheckCredentialsAsync(credentials, timeout.Token);
            return new CredentialCheckResponse(result.Ok, result.Detail);
        }
        catch (TaskFailedException ex)
        {
            return new CredentialCheckResponse(false, ex.Message);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new CredentialCheckResponse(false, $"The platform of '{shortName}' did not answer within {CheckTimeout.TotalSeconds:0} s.");
        }
    }

    private async Task<Domain.Catalogue.Integration> FindIntegrationAsync(CreateIntegrationCredentialRequest request, CancellationToken cancellationToken)
    {
        Domain.Catalogue.Integration? byId = null;
        if (request.Integration is { } id)
        {
            byId = await db.Integrations.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, cancellationToken)
                ?? throw new RequestValidationException("body.integration", "integration not found");
        }

        if (request.IntegrationShortName is not { } shortName)
            return byId!;
        var byName = await db.Integrations.AsNoTracking().FirstOrDefaultAsync(i => i.ShortName == shortName, cancellationToken)
            ?? throw new RequestValidationException("body.integration_short_name", "integration not found");
        if (byId is not null && byId.Id != byName.Id)
            throw new RequestValidationException("body.integration_short_name", "names another integration than integration");
        return byName;
    }

    private static IQueryable<IntegrationCredentialResponse> Project(IQueryable<IntegrationCredential> query) =>
        query.Select(c => new IntegrationCredentialResponse(
            c.Id, c.IntegrationId, c.Integration!.ShortName, c.Name, c.FieldNames, c.OrganizationId,
            c.CreatedDate, c.ModifiedDate, c.CreatedByEmail, c.ModifiedByEmail, c.LastUsedAt, c.DeletedAt));

    private static IntegrationCredentialResponse Response(IntegrationCredential c, string shortName) =>
        new(c.Id, c.IntegrationId, shortName, c.Name, c.FieldNames, c.OrganizationId,
            c.CreatedDate, c.ModifiedDate, c.CreatedByEmail, c.ModifiedByEmail, c.LastUsedAt, c.DeletedAt);
}
