using Microsoft.EntityFrameworkCore;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.Triggers;
using Neena.Api.Errors;
using Neena.Api.Services.Triggers;
using Neena.Domain.Catalogue;
using Neena.Domain.Triggers;
using Neena.Integrations.Triggers;
using Neena.Persistence;

namespace Neena.Api.Services;

/// <summary>
/// An organization's webhook trigger operations: subscriptions to a platform event, whose deliveries (at
/// <see cref="WebhookUrls"/>) become flow requests rendered from their template. A generic trigger gets a signing secret,
/// shown once and kept encrypted (<see cref="SigningSecretProtector"/>).
/// </summary>
public sealed class WebhookTriggerOperationService(
    NeenaDbContext db,
    SigningSecretProtector secrets,
    WebhookUrls urls,
    IHttpContextAccessor http,
    TimeProvider time)
{
    public const string NotFound = "Webhook trigger operation not found";
    private const int MaxNameInMessage = 100;

    public async Task<CreatedWebhookTriggerOperationResponse> CreateAsync(CreateWebhookTriggerOperationRequest request, CancellationToken cancellationToken)
    {
        var organizationId = db.Tenant.OrganizationId ?? throw ApiException.Forbidden(FlowRequestService.ForeignOrganization);
        var problems = new List<KeyValuePair<string, string>>();
        var definition = await FindDefinitionAsync(request.WebhookTriggerDefinition!.Value, includeDeleted: false, cancellationToken);
        if (definition is null)
            problems.Add(new("body.webhook_trigger_definition", "webhook trigger definition not found"));
        else
            problems.AddRange(TemplateProblems(request.TemplateBody!, definition));
        await CheckFlowAsync(request.Flow, problems, cancellationToken);
        await CheckCredentialAsync(request.IntegrationCredential, definition, problems, cancellationToken);
        if (problems.Count > 0)
            throw new RequestValidationException(problems);

        var operation = new WebhookTriggerOperation
        {
            OrganizationId = organizationId,
            Name = request.Name!,
            WebhookTriggerDefinitionId = definition!.Id,
            TemplateBody = request.TemplateBody!,
            Status = request.Status ?? TriggerOperationStatus.Inactive,
            FlowId = request.Flow,
            IntegrationCredentialId = request.IntegrationCredential,
            RequiresApproval = request.RequiresApproval ?? TriggerApprovalPolicy.RequiresApprovalByDefault(request.Flow),
        };
        string? secret = null;
        if (definition.IsGeneric)
        {
            secret = SigningSecretProtector.NewSecret();
            operation.ProtectedSigningSecret = secrets.Protect(organizationId, operation.Id, secret);
        }
        db.WebhookTriggerOperations.Add(operation);
        await db.SaveChangesAsync(cancellationToken);
        return CreatedWebhookTriggerOperationResponse.From(Response(operation), secret);
    }

    public async Task<WebhookTriggerOperationResponse> UpdateAsync(UpdateWebhookTriggerOperationRequest request, CancellationToken cancellationToken)
    {
        var operation = await db.WebhookTriggerOperations.FirstOrDefaultAsync(o => o.Id == request.Id, cancellationToken)
            ?? throw ApiException.NotFound(NotFound);
        var problems = new List<KeyValuePair<string, string>>();
        // The operation keeps its definition even if the catalogue has dropped it since: its fields still decide the template.
        var definition = request.TemplateBody.IsSet || request.IntegrationCredential is { IsSet: true, Value: not null }
            ? await FindDefinitionAsync(operation.WebhookTriggerDefinitionId, includeDeleted: true, cancellationToken)
            : null;
        if (request.TemplateBody is { IsSet: true, Value: { } template })
            problems.AddRange(TemplateProblems(template, definition!));
        if (request.Flow.IsSet)
            await CheckFlowAsync(request.Flow.Value, problems, cancellationToken);
        if (request.IntegrationCredential.IsSet)
            await CheckCredentialAsync(request.IntegrationCredential.Value, definition, problems, cancellationToken);
        if (problems.Count > 0)
            throw new RequestValidationException(problems);

        operation.Name = request.Name.Or(operation.Name)!;
        operation.TemplateBody = request.TemplateBody.Or(operation.TemplateBody)!;
        operation.Status = request.Status.Or(operation.Status)!;
        operation.FlowId = request.Flow.Or(operation.FlowId);
        if (request.RequiresApproval.IsSet)
            operation.RequiresApproval = request.RequiresApproval.Value!.Value;
        else if (request.Flow.IsSet)
            operation.RequiresApproval = TriggerApprovalPolicy.RequiresApprovalByDefault(operation.FlowId);
        operation.IntegrationCredentialId = request.IntegrationCredential.Or(operation.IntegrationCredentialId);
        await db.SaveChangesAsync(cancellationToken);
        return Response(operation);
    }

    public async Task<WebhookTriggerOperationResponse> GetAsync(Guid id, CancellationToken cancellationToken) =>
        WithUrl(await Project(db.WebhookTriggerOperations.AsNoTracking().Where(o => o.Id == id)).FirstOrDefaultAsync(cancellationToken)
            ?? throw ApiException.NotFound(NotFound));

    public async Task<IReadOnlyList<WebhookTriggerOperationResponse>> ListAsync(PageQuery page, WebhookTriggerOperationFilter filter, CancellationToken cancellationToken)
    {
        var query = db.WebhookTriggerOperations.AsNoTracking();
        if (filter.WebhookTriggerDefinitionId is { } definitionId)
            query = query.Where(o => o.WebhookTriggerDefinitionId == definitionId);
        return (await Project(query.NewestFirst(page)).ToListAsync(cancellationToken)).Select(WithUrl).ToList();
    }

    /// <summary>Soft-deletes the operation and destroys its signing secret in the same write.</summary>
    public async Task<WebhookTriggerOperationResponse> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        var operation = await db.WebhookTriggerOperations.FirstOrDefaultAsync(o => o.Id == id, cancellationToken)
            ?? throw ApiException.NotFound(NotFound);
        operation.Delete(time.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(cancellationToken);
        return Response(operation);
    }

    /// <summary>What validation needs of a trigger definition.</summary>
    private sealed record DefinitionFacts(Guid Id, string TriggerName, Guid IntegrationId, string IntegrationShortName, List<EventFieldDefinition> EventFields, List<CredentialFieldDefinition> CredentialFields)
    {
        /// <summary>
        /// A generic trigger (the core <c>Incoming Webhook</c>) comes from no platform, so no platform secret can verify its
        /// deliveries: the operation gets its own signing secret. Integrations with a signature scheme keep their secrets in
        /// credentials, so "takes no credential" is what tells a generic trigger.
        /// </summary>
        public bool IsGeneric => CredentialFields.Count == 0;
    }

    private async Task<DefinitionFacts?> FindDefinitionAsync(Guid id, bool includeDeleted, CancellationToken cancellationToken)
    {
        // Two queries: ignoring a filter applies to a whole query, so the integration (found even if the catalogue dropped
        // it) cannot be a subquery of a definition query that must keep the soft-delete filter.
        var definitions = includeDeleted
            ? db.WebhookTriggerDefinitions.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter])
            : db.WebhookTriggerDefinitions;
        var definition = await definitions.AsNoTracking()
            .Where(d => d.Id == id)
            .Select(d => new { d.Id, d.TriggerName, d.IntegrationId, d.EventFields })
            .FirstOrDefaultAsync(cancellationToken);
        if (definition is null)
            return null;
        var integration = await db.Integrations.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]).AsNoTracking()
            .Where(i => i.Id == definition.IntegrationId)
            .Select(i => new { i.ShortName, i.CredentialFields })
            .SingleAsync(cancellationToken);
        return new DefinitionFacts(definition.Id, definition.TriggerName, definition.IntegrationId, integration.ShortName, definition.EventFields, integration.CredentialFields);
    }

    private static IEnumerable<KeyValuePair<string, string>> TemplateProblems(string template, DefinitionFacts definition)
    {
        var fields = definition.EventFields.Select(f => f.Name).ToList();
        foreach (var name in TriggerTemplate.Placeholders(template).Where(n => !fields.Contains(n, StringComparer.Ordinal)))
        {
            var shown = name.Length > MaxNameInMessage ? name[..MaxNameInMessage] + "…" : name;
            yield return new("body.template_body", $"unknown event field '{shown}'; the fields of '{definition.TriggerName}' are: {string.Join(", ", fields)}");
        }
    }

    private async Task CheckFlowAsync(Guid? flowId, List<KeyValuePair<string, string>> problems, CancellationToken cancellationToken)
    {
        // The tenant filter makes another organization's flow indistinguishable from a missing one.
        if (flowId is { } id && !await db.Flows.AnyAsync(f => f.Id == id, cancellationToken))
            problems.Add(new("body.flow", FlowRequestService.FlowNotFound));
    }

    private async Task CheckCredentialAsync(Guid? credentialId, DefinitionFacts? definition, List<KeyValuePair<string, string>> problems, CancellationToken cancellationToken)
    {
        if (credentialId is not { } id)
            return;
        // Another organization's credential is not found, like a missing one; only the caller's own can be "for another integration".
        var integrationId = await db.IntegrationCredentials.Where(c => c.Id == id).Select(c => (Guid?)c.IntegrationId).FirstOrDefaultAsync(cancellationToken);
        if (integrationId is null)
            problems.Add(new("body.integration_credential", IntegrationCredentialService.NotFound.ToLowerInvariant()));
        else if (definition is not null && integrationId != definition.IntegrationId)
            problems.Add(new("body.integration_credential", $"the credential is not for integration '{definition.IntegrationShortName}', the trigger definition's"));
    }

    private static IQueryable<WebhookTriggerOperationResponse> Project(IQueryable<WebhookTriggerOperation> query) =>
        query.Select(o => new WebhookTriggerOperationResponse(
            o.Id, o.Name, o.WebhookTriggerDefinitionId, o.TemplateBody, o.Status, o.OrganizationId, o.CreatedDate, o.ModifiedDate,
            o.CreatedByEmail, o.ModifiedByEmail, o.FlowId, o.IntegrationCredentialId, "", o.DeletedAt, o.RequiresApproval));

    private WebhookTriggerOperationResponse Response(WebhookTriggerOperation o) => WithUrl(new(
        o.Id, o.Name, o.WebhookTriggerDefinitionId, o.TemplateBody, o.Status, o.OrganizationId, o.CreatedDate, o.ModifiedDate,
        o.CreatedByEmail, o.ModifiedByEmail, o.FlowId, o.IntegrationCredentialId, "", o.DeletedAt, o.RequiresApproval));

    private WebhookTriggerOperationResponse WithUrl(WebhookTriggerOperationResponse response) =>
        response with { WebhookUrl = urls.For(http.HttpContext!.Request, response.Id) };
}
