using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.Agent.LanguageModel;
using Neena.Agent.Planning;
using Neena.Api.Commands;
using Neena.Api.Services.Generation;
using Neena.Domain.Common;
using Neena.Domain.FlowRequests;
using Neena.Domain.FlowRuns;
using Neena.Domain.Triggers;
using Neena.Integrations;
using Neena.Persistence;
using Neena.Persistence.FlowRuns;
using Neena.Persistence.Triggers;

namespace Neena.Api.Workers;

/// <summary>Processing a trigger run failed: for good (the trigger run fails with the message) or for now (it is retried later).</summary>
public sealed class TriggerRunFailedException(string message, bool permanent, TimeSpan? retryAfter = null, Exception? innerException = null)
    : Exception(message, innerException)
{
    public bool Permanent { get; } = permanent;

    /// <summary>How long the cause asked to wait (a model's <c>Retry-After</c>), when it said.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// Turns one claimed trigger run into work (§8): the event's fields, a flow request (instructions = the operation's template
/// rendered with them, metadata = <c>[fields]</c>), the operation's flow or one generated for the request (§6, saved as
/// <c>POST /flows/generate</c> saves it), and a run created already approved (as <c>POST /flows/execute</c> creates it, so
/// the engine starts it at once) or pending approval when the operation's <c>requires_approval</c> says so (§11). A
/// schedule's fire is launched the same way, its fields being the slot and the schedule's name. The flow, the request, the run and the trigger run's completion commit in one transaction
/// that holds the trigger run's row, fenced on this instance's lease: a crash or a lost lease leaves nothing half made,
/// and no delivery ever makes two runs. Its scope acts for the operation's organization, as its creator.
/// </summary>
internal sealed partial class TriggerRunLauncher(
    NeenaDbContext db,
    BackgroundTenantContext tenant,
    CreateFlowRequestCommand requests,
    CreateFlowCommand flows,
    CreateFlowRunCommand runs,
    FlowGenerationService generation,
    IntegrationCatalogue catalogue)
{
    /// <exception cref="TriggerRunFailedException">The delivery cannot be made into a run, now or ever.</exception>
    /// <exception cref="LeaseLostException">Another instance holds the trigger run now; nothing was written.</exception>
    /// <remarks>The planner answers with a draft; <c>ToInput</c> makes it the create command's input.</remarks>
    public async Task<(Guid FlowRequestId, Guid FlowRunId)> LaunchAsync(Guid triggerRunId, TriggerRunLease queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var scheduleId = await db.TriggerRuns.IgnoreQueryFilters().AsNoTracking()
            .Where(t => t.Id == triggerRunId)
            .Select(t => new { t.ScheduleTriggerOperationId })
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw new TriggerRunFailedException("The trigger run no longer exists.", permanent: true);
        var launch = scheduleId.ScheduleTriggerOperationId is { } schedule
            ? await ScheduleLaunchAsync(triggerRunId, schedule, cancellationToken)
            : await WebhookLaunchAsync(triggerRunId, cancellationToken);
        using var acting = tenant.ActFor(launch.OrganizationId, launch.CreatedByEmail ?? TriggerRunLease.Actor);
        if (launch.Deleted)
            throw new TriggerRunFailedException("The trigger operation was deleted before the delivery was processed.", permanent: true);
        var (instructions, metadata) = launch.Request();
        var name = Cut(launch.Name, FlowRequest.MaxNameLength);

        PlannedFlow? plan = null;
        if (launch.FlowId is { } fixedFlow)
        {
            // The organization's live flows only: one deleted since the operation named it cannot run.
            if (!await db.Flows.AnyAsync(f => f.Id == fixedFlow, cancellationToken))
                throw new TriggerRunFailedException("The operation's flow no longer exists.", permanent: true);
        }
        else
        {
            // Planning (possibly a language model) happens before the transaction: nothing is held while the model thinks.
            plan = await PlanAsync(new PlanningRequest(instructions, name, metadata), cancellationToken);
        }

        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (!await queue.LockAsync(db.TransactionConnection(), triggerRunId, cancellationToken))
                throw new LeaseLostException($"Trigger run {triggerRunId} is no longer held by this instance.");
            var flowId = plan is null ? launch.FlowId!.Value : (await flows.ExecuteAsync(plan.Flow.ToInput(), cancellationToken)).Id;
            var request = await requests.ExecuteAsync(new NewFlowRequest(instructions, metadata, name, flowId), cancellationToken);
            var runId = await runs.ExecuteAsync(
                new NewFlowRun(flowId, request.Id, launch.RunType)
                {
                    // §11: a run that requires approval waits, pending, exactly like one created through the API.
                    ApprovalStatus = launch.RequiresApproval ? null : ApprovalStatus.Approved,
                    TriggeredBy = launch.RunType + ":" + launch.OperationId.ToString("D"),
                },
                caller: null,
                cancellationToken);
            await queue.CompleteAsync(db.TransactionConnection(), triggerRunId, request.Id, runId, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (request.Id, runId);
        }
        catch (DomainValidationException e)
        {
            // The flow or request was refused as the API would refuse it (a flow deleted a moment ago, a generated flow invalid).
            throw new TriggerRunFailedException(Describe(e, withPlace: true), permanent: true, innerException: e);
        }
    }

    /// <summary>A webhook delivery's launch: the event's fields, extracted by the trigger definition's paths.</summary>
    private async Task<Launch> WebhookLaunchAsync(Guid triggerRunId, CancellationToken cancellationToken)
    {
        var work = await (
                from t in db.TriggerRuns.IgnoreQueryFilters().AsNoTracking()
                join o in db.WebhookTriggerOperations.IgnoreQueryFilters().AsNoTracking() on t.WebhookTriggerOperationId equals (Guid?)o.Id
                join d in db.WebhookTriggerDefinitions.IgnoreQueryFilters().AsNoTracking() on o.WebhookTriggerDefinitionId equals d.Id
                where t.Id == triggerRunId
                select new { t.Event, t.OrganizationId, OperationId = o.Id, o.Name, o.TemplateBody, o.FlowId, o.RequiresApproval, o.CreatedByEmail, o.DeletedAt, d.PythonMethodName, d.TriggerName })
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw new TriggerRunFailedException("The trigger run no longer exists.", permanent: true);
        return new Launch(work.OrganizationId, work.OperationId, work.Name, work.CreatedByEmail, work.DeletedAt is not null, work.FlowId, work.RequiresApproval, RunType.Webhook, () =>
        {
            var trigger = catalogue.Integrations.SelectMany(i => i.Triggers).FirstOrDefault(t => t.TypeName == work.PythonMethodName)
                ?? throw new TriggerRunFailedException($"The trigger '{work.TriggerName}' is no longer part of the catalogue.", permanent: true);

            // Deliveries stored before the depth limit existed may be too deep for a flow request (or to read at all).
            if (work.Event is JsonObject stored && stored.ContainsKey(JsonDepth.UnreadableProperty))
                throw new TriggerRunFailedException($"The event nests deeper than {JsonDepth.MaxRead} levels of JSON and cannot be read.", permanent: true);
            var fields = trigger.Extract(work.Event);
            var missing = trigger.EventFields.Where(f => !f.Optional && fields[f.Name] is null).Select(f => $"'{f.Name}' (at {f.JsonPath})").ToList();
            if (missing.Count > 0)
                throw new TriggerRunFailedException($"The event lacks the required field{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}.", permanent: true);
            return Request(work.TemplateBody, fields);
        });
    }

    /// <summary>The flow request of a launch: the template rendered with the fields, and the fields as metadata.</summary>
    private static (string Instructions, JsonArray Metadata) Request(string template, JsonObject fields)
    {
        var instructions = Instructions(RenderTemplate(template, fields));
        var metadata = new JsonArray(fields);
        if (JsonDepth.Exceeds(metadata))
            throw new TriggerRunFailedException($"The event's fields nest too deeply for a flow request's metadata (at most {JsonDepth.MaxStored} levels of objects and arrays).", permanent: true);
        return (instructions, metadata);
    }

    private async Task<PlannedFlow> PlanAsync(PlanningRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await generation.PlanAsync(request, cancellationToken);
        }
        catch (DomainValidationException e)
        {
            throw new TriggerRunFailedException("No flow could be generated for the request: " + Describe(e, withPlace: false), permanent: true, innerException: e);
        }
        catch (LanguageModelUnavailableException e)
        {
            throw new TriggerRunFailedException("The language model is unavailable: " + e.Message, permanent: false, e.RetryAfter, e);
        }
        catch (InvalidPlanException e)
        {
            // Another try may plan validly; the attempts are bounded.
            throw new TriggerRunFailedException(e.Message, permanent: false, innerException: e);
        }
        catch (LanguageModelException e)
        {
            throw new TriggerRunFailedException("The language model refused the request: " + e.Message, permanent: true, innerException: e);
        }
    }

    // A refused flow or request names the field (a generated flow's problem is otherwise unfindable); planning's own refusals
    // are sentences already.
    private static string Describe(DomainValidationException e, bool withPlace) =>
        string.Join("; ", e.Errors.Select(p => withPlace ? $"{p.Key}: {p.Value}" : p.Value));

    /// <summary>At most <paramref name="length"/> characters, never half a surrogate pair.</summary>
    private static string Cut(string text, int length)
    {
        if (text.Length <= length)
            return text;
        return text[..(char.IsHighSurrogate(text[length - 1]) ? length - 1 : length)];
    }

    /// <summary>The rendered template as flow request instructions: trimmed, cut to the longest allowed, refused when too short.</summary>
    private static string Instructions(string rendered)
    {
        var text = rendered.Trim();
        if (text.Length > FlowRequest.MaxInstructionsLength)
            text = Cut(text, FlowRequest.MaxInstructionsLength - 1) + "…";
        if (text.Length < FlowRequest.MinInstructionsLength)
        {
            throw new TriggerRunFailedException(
                $"The operation's template gives {text.Length} characters of instructions for this event; a flow request needs {FlowRequest.MinInstructionsLength} to {FlowRequest.MaxInstructionsLength}.",
                permanent: true);
        }
        return text;
    }

    /// <summary>The operation's template rendered with the event's fields, by the same parser the API validated it with.</summary>
    private static string RenderTemplate(string template, JsonObject fields) =>
        TriggerTemplate.Render(template, TriggerTemplate.Values(fields));
}
