using Microsoft.EntityFrameworkCore;
using Neena.Api.Contracts.Catalogue;
using Neena.Api.Contracts.Common;
using Neena.Api.Errors;
using Neena.Domain.Catalogue;
using Neena.Persistence;

namespace Neena.Api.Services;

/// <summary>Reads of the global catalogue: visible to every caller, never tenant-filtered.</summary>
public sealed class CatalogueService(NeenaDbContext db)
{
    public async Task<IReadOnlyList<IntegrationResponse>> ListIntegrationsAsync(PageQuery page, CancellationToken cancellationToken) =>
        await db.Integrations.AsNoTracking()
            .OrderByDescending(i => i.CreatedDate).ThenByDescending(i => i.Id)
            .Skip(page.Skip).Take(page.Limit)
            .Select(i => new IntegrationResponse(i.ClassName, i.Name, i.ShortName, i.AuthType, i.Id, i.CreatedDate, i.ModifiedDate, i.CredentialFields))
            .ToListAsync(cancellationToken);

    public async Task<IntegrationResponse> GetIntegrationAsync(Guid id, CancellationToken cancellationToken) =>
        await db.Integrations.AsNoTracking()
            .Where(i => i.Id == id)
            .Select(i => new IntegrationResponse(i.ClassName, i.Name, i.ShortName, i.AuthType, i.Id, i.CreatedDate, i.ModifiedDate, i.CredentialFields))
            .FirstOrDefaultAsync(cancellationToken)
        ?? throw ApiException.NotFound("Integration not found");

    public async Task<IReadOnlyList<TaskDefinitionResponse>> ListTaskDefinitionsAsync(PageQuery page, CancellationToken cancellationToken) =>
        await Project(db.TaskDefinitions.AsNoTracking()
                .OrderByDescending(t => t.CreatedDate).ThenByDescending(t => t.Id)
                .Skip(page.Skip).Take(page.Limit))
            .ToListAsync(cancellationToken);

    public async Task<TaskDefinitionResponse> GetTaskDefinitionAsync(Guid id, CancellationToken cancellationToken) =>
        await Project(db.TaskDefinitions.AsNoTracking().Where(t => t.Id == id)).FirstOrDefaultAsync(cancellationToken)
        ?? throw ApiException.NotFound("Task definition not found");

    /// <summary>The live definitions among <paramref name="ids"/>, in no particular order.</summary>
    public async Task<IReadOnlyList<TaskDefinitionResponse>> GetTaskDefinitionsAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) =>
        await Project(db.TaskDefinitions.AsNoTracking().Where(t => ids.Contains(t.Id))).ToListAsync(cancellationToken);

    public async Task<IReadOnlyList<WebhookTriggerDefinitionResponse>> ListTriggerDefinitionsAsync(PageQuery page, CancellationToken cancellationToken) =>
        await Project(db.WebhookTriggerDefinitions.AsNoTracking()
                .OrderByDescending(t => t.CreatedDate).ThenByDescending(t => t.Id)
                .Skip(page.Skip).Take(page.Limit))
            .ToListAsync(cancellationToken);

    public async Task<WebhookTriggerDefinitionResponse> GetTriggerDefinitionAsync(Guid id, CancellationToken cancellationToken) =>
        await Project(db.WebhookTriggerDefinitions.AsNoTracking().Where(t => t.Id == id)).FirstOrDefaultAsync(cancellationToken)
        ?? throw ApiException.NotFound("Webhook trigger definition not found");

    private static IQueryable<WebhookTriggerDefinitionResponse> Project(IQueryable<WebhookTriggerDefinition> query) =>
        query.Select(t => new WebhookTriggerDefinitionResponse(
            t.Id,
            t.TriggerName,
            t.IntegrationId,
            t.PythonMethodName,
            t.EventFields,
            t.Description,
            t.EventType,
            t.EntityField,
            t.CreatedDate,
            t.ModifiedDate,
            t.CreatedByEmail,
            t.ModifiedByEmail,
            t.DeletedAt,
            new IntegrationResponse(t.Integration!.ClassName, t.Integration.Name, t.Integration.ShortName, t.Integration.AuthType, t.Integration.Id, t.Integration.CreatedDate, t.Integration.ModifiedDate, t.Integration.CredentialFields)));

    private static IQueryable<TaskDefinitionResponse> Project(IQueryable<TaskDefinition> query) =>
        query.Select(t => new TaskDefinitionResponse(
            t.TaskName,
            t.IntegrationId,
            t.Parameters,
            t.InputType,
            t.InputYml,
            t.Description,
            t.PythonMethodName,
            t.OutputType,
            t.OutputYml,
            t.OutputParameters,
            t.OutputIsList,
            t.Id,
            t.CreatedDate,
            t.ModifiedDate,
            t.CreatedByEmail,
            t.ModifiedByEmail,
            t.DeletedAt,
            new IntegrationResponse(t.Integration!.ClassName, t.Integration.Name, t.Integration.ShortName, t.Integration.AuthType, t.Integration.Id, t.Integration.CreatedDate, t.Integration.ModifiedDate, t.Integration.CredentialFields)));
}
