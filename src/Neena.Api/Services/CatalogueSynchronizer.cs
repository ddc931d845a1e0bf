using Microsoft.EntityFrameworkCore;
using Neena.Domain.Catalogue;
using Neena.Integrations;
using Neena.Persistence;
using Neena.Persistence.Catalogue;

namespace Neena.Api.Services;

/// <summary>
/// Brings the <c>integrations</c>, <c>task_definitions</c> and <c>webhook_trigger_definitions</c> tables in line with the
/// integrations defined in code (their credential fields, tasks and triggers). Idempotent (unchanged rows are not
/// written), safe when several instances start at once (a transaction-scoped advisory lock serialises them), and a task
/// or trigger that left the code is soft-deleted, never removed: flows and trigger operations may refer to it.
/// </summary>
public sealed class CatalogueSynchronizer(NeenaDbContext db, TimeProvider time, ILogger<CatalogueSynchronizer> logger)
{
    public sealed record Result(int Inserted, int Updated, int Deleted);

    public async Task<Result> SynchronizeAsync(IReadOnlyList<IntegrationDescriptor> catalogue, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await CatalogueLock.AcquireAsync(db, cancellationToken);
            var result = await ApplyAsync(catalogue, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            if (result.Inserted + result.Updated + result.Deleted > 0)
                logger.LogInformation("Catalogue synchronised: {Inserted} inserted, {Updated} updated, {Deleted} deleted", result.Inserted, result.Updated, result.Deleted);
            return result;
        });
    }

    private async Task<Result> ApplyAsync(IReadOnlyList<IntegrationDescriptor> catalogue, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        int inserted = 0, updated = 0, deleted = 0;
        var integrations = await db.Integrations.IgnoreQueryFilters().ToDictionaryAsync(i => i.ShortName, cancellationToken);
        var tasks = await db.TaskDefinitions.IgnoreQueryFilters().ToDictionaryAsync(t => t.PythonMethodName, cancellationToken);
        var triggers = await db.WebhookTriggerDefinitions.IgnoreQueryFilters().ToDictionaryAsync(t => t.PythonMethodName, cancellationToken);
        var liveTasks = new HashSet<string>(StringComparer.Ordinal);
        var liveTriggers = new HashSet<string>(StringComparer.Ordinal);

        foreach (var descriptor in catalogue)
        {
            var authType = AuthTypeName(descriptor.AuthType);
            var credentialFields = descriptor.CredentialFields.Select(f => new CredentialFieldDefinition(f.Name, f.DocString)).ToList();
            if (!integrations.TryGetValue(descriptor.ShortName, out var integration))
            {
                integration = new Integration { ClassName = descriptor.ClassName, Name = descriptor.Name, ShortName = descriptor.ShortName, AuthType = authType, CredentialFields = credentialFields, CreatedDate = now, ModifiedDate = now };
                db.Integrations.Add(integration);
                integrations[descriptor.ShortName] = integration;
                inserted++;
            }
            else if (integration.ClassName != descriptor.ClassName || integration.Name != descriptor.Name || integration.AuthType != authType
                     || !integration.CredentialFields.SequenceEqual(credentialFields) || integration.DeletedAt is not null)
            {
                integration.ClassName = descriptor.ClassName;
                integration.Name = descriptor.Name;
                integration.AuthType = authType;
                integration.CredentialFields = credentialFields;
                integration.DeletedAt = null;
                integration.ModifiedDate = now;
                updated++;
            }

            foreach (var trigger in descriptor.Triggers)
            {
                liveTriggers.Add(trigger.TypeName);
                var fields = trigger.EventFields.Select(f => new EventFieldDefinition(f.Name, f.JsonPath, f.DataType, f.DocString, f.Optional)).ToList();
                if (!triggers.TryGetValue(trigger.TypeName, out var definition))
                {
                    db.WebhookTriggerDefinitions.Add(new WebhookTriggerDefinition
                    {
                        IntegrationId = integration.Id,
                        TriggerName = trigger.TriggerName,
                        PythonMethodName = trigger.TypeName,
                        Description = trigger.Description,
                        EventType = trigger.EventType,
                        EntityField = trigger.EntityField,
                        EventFields = fields,
                        CreatedDate = now,
                        ModifiedDate = now,
                    });
                    inserted++;
                }
                else if (definition.IntegrationId != integration.Id || definition.TriggerName != trigger.TriggerName || definition.Description != trigger.Description
                         || definition.EventType != trigger.EventType || definition.EntityField != trigger.EntityField
                         || !definition.EventFields.SequenceEqual(fields) || definition.DeletedAt is not null)
                {
                    definition.IntegrationId = integration.Id;
                    definition.TriggerName = trigger.TriggerName;
                    definition.Description = trigger.Description;
                    definition.EventType = trigger.EventType;
                    definition.EntityField = trigger.EntityField;
                    definition.EventFields = fields;
                    definition.DeletedAt = null;
                    definition.ModifiedDate = now;
                    updated++;
                }
            }

            foreach (var task in descriptor.Tasks)
            {
                liveTasks.Add(task.MethodName);
                var parameters = task.Parameters.Select(ToDefinition).ToList();
                var outputs = task.OutputParameters.Select(ToDefinition).ToList();
                if (!tasks.TryGetValue(task.MethodName, out var definition))
                {
                    db.TaskDefinitions.Add(new TaskDefinition
                    {
                        IntegrationId = integration.Id,
                        TaskName = task.TaskName,
                        Description = task.Description,
                        PythonMethodName = task.MethodName,
                        InputType = task.InputType,
                        OutputType = task.OutputType,
                        OutputIsList = task.OutputIsList,
                        Parameters = parameters,
                        OutputParameters = outputs,
                        InputYml = task.InputYml,
                        OutputYml = task.OutputYml,
                        CreatedDate = now,
                        ModifiedDate = now,
                    });
                    inserted++;
                }
                else if (definition.IntegrationId != integration.Id || definition.TaskName != task.TaskName || definition.Description != task.Description
                         || definition.InputType != task.InputType || definition.OutputType != task.OutputType || definition.OutputIsList != task.OutputIsList
                         || !definition.Parameters.SequenceEqual(parameters) || !definition.OutputParameters.SequenceEqual(outputs)
                         || definition.InputYml != task.InputYml || definition.OutputYml != task.OutputYml || definition.DeletedAt is not null)
                {
                    definition.IntegrationId = integration.Id;
                    definition.TaskName = task.TaskName;
                    definition.Description = task.Description;
                    definition.InputType = task.InputType;
                    definition.OutputType = task.OutputType;
                    definition.OutputIsList = task.OutputIsList;
                    definition.Parameters = parameters;
                    definition.OutputParameters = outputs;
                    definition.InputYml = task.InputYml;
                    definition.OutputYml = task.OutputYml;
                    definition.DeletedAt = null;
                    definition.ModifiedDate = now;
                    updated++;
                }
            }
        }

        foreach (var definition in tasks.Values.Where(t => t.DeletedAt is null && !liveTasks.Contains(t.PythonMethodName)))
        {
            definition.DeletedAt = now;
            definition.ModifiedDate = now;
            deleted++;
        }
        foreach (var definition in triggers.Values.Where(t => t.DeletedAt is null && !liveTriggers.Contains(t.PythonMethodName)))
        {
            definition.DeletedAt = now;
            definition.ModifiedDate = now;
            deleted++;
        }
        var liveIntegrations = catalogue.Select(c => c.ShortName).ToHashSet(StringComparer.Ordinal);
        foreach (var integration in integrations.Values.Where(i => i.DeletedAt is null && !liveIntegrations.Contains(i.ShortName)))
        {
            integration.DeletedAt = now;
            integration.ModifiedDate = now;
            deleted++;
        }

        await db.SaveChangesAsync(cancellationToken);
        return new Result(inserted, updated, deleted);
    }

    private static ParameterDefinition ToDefinition(ParameterDescriptor p) => new(p.Name, p.DataType, p.Position, p.DocString, p.Optional);

    public static string AuthTypeName(IntegrationAuthType authType) => authType switch
    {
        IntegrationAuthType.ApiKey => "api_key",
        IntegrationAuthType.OAuth2 => "oauth2",
        _ => "none",
    };
}
