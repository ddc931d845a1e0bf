using FluentValidation;
using Neena.Api.Contracts.Common;
using Neena.Domain.Triggers;

namespace Neena.Api.Contracts.Triggers;

/// <summary>A schedule of your organization: each slot of its cron expression becomes one trigger run (§11).</summary>
[InputSchema("ScheduleTriggerOperationCreate")]
public sealed record CreateScheduleTriggerOperationRequest
{
    /// <summary>A label for the schedule (1–200 characters).</summary>
    [ApiField(Required = true)]
    public string? Name { get; init; }

    /// <summary>
    /// A cron expression: 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first, firing at least 10 s
    /// apart), read in <c>time_zone</c>.
    /// </summary>
    [ApiField(Required = true)]
    public string? Cron { get; init; }

    /// <summary>The IANA time zone the cron expression's wall-clock times are read in (default <c>UTC</c>).</summary>
    public string? TimeZone { get; init; }

    /// <summary>
    /// The flow request's instructions for each fire (1–10,000 characters), with the placeholders <c>&lt;{fire_time}&gt;</c>
    /// (the slot, ISO 8601 UTC) and <c>&lt;{schedule_name}&gt;</c> (or <c>{{ fire_time }}</c>, <c>{{ schedule_name }}</c>).
    /// </summary>
    [ApiField(Required = true)]
    public string? TemplateBody { get; init; }

    /// <summary>The id of a flow of your organization to run at every fire; left out, a flow is generated for each fire's request.</summary>
    public Guid? Flow { get; init; }

    /// <summary>
    /// Whether each fire's run waits for approval (created <c>pending</c>). Left out: <c>true</c> without a fixed <c>flow</c>
    /// (a generated flow is never run unseen), <c>false</c> with one.
    /// </summary>
    public bool? RequiresApproval { get; init; }

    /// <summary><c>inactive</c> (the default) does not fire; <c>active</c> fires at every slot.</summary>
    [ApiField(ValuesOf = typeof(TriggerOperationStatus))]
    public string? Status { get; init; }

    /// <summary>After downtime: <c>run_once</c> (the default) fires once for all the missed slots, <c>skip</c> fires none.</summary>
    [ApiField(ValuesOf = typeof(Domain.Triggers.MissedFires))]
    public string? MissedFires { get; init; }
}

public sealed class CreateScheduleTriggerOperationRequestValidator : AbstractValidator<CreateScheduleTriggerOperationRequest>
{
    public CreateScheduleTriggerOperationRequestValidator()
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(ScheduleTriggerOperation.MaxNameLength);
        RuleFor(r => r.Cron).NotNull();
        RuleFor(r => r.TemplateBody).NotNull();
        RuleFor(r => r.TemplateBody).Must(t => t!.Length > 0).WithMessage(WebhookTriggerOperationRules.TemplateEmpty)
            .MaximumLength(ScheduleTriggerOperation.MaxTemplateLength).When(r => r.TemplateBody is not null);
        RuleFor(r => r.Status).Must(WebhookTriggerOperationRules.IsStatus).WithMessage(WebhookTriggerOperationRules.StatusMessage)
            .When(r => r.Status is not null);
        RuleFor(r => r.MissedFires).Must(ScheduleTriggerOperationRules.IsMissedFires).WithMessage(ScheduleTriggerOperationRules.MissedFiresMessage)
            .When(r => r.MissedFires is not null);
    }
}

/// <summary>A partial update: fields left out of the body keep their stored value.</summary>
[InputSchema("ScheduleTriggerOperationUpdate")]
public sealed record UpdateScheduleTriggerOperationRequest
{
    /// <summary>The id of the schedule to change.</summary>
    [ApiField(Required = true)]
    public Guid? Id { get; init; }

    /// <summary>A label for the schedule (1–200 characters).</summary>
    [ApiField(NotNull = true)]
    public FieldUpdate<string> Name { get; init; }

    /// <summary>A cron expression of 5 or 6 fields (see the create body).</summary>
    [ApiField(NotNull = true)]
    public FieldUpdate<string> Cron { get; init; }

    /// <summary>The IANA time zone the cron expression is read in.</summary>
    [ApiField(NotNull = true)]
    public FieldUpdate<string> TimeZone { get; init; }

    /// <summary>The instructions template (1–10,000 characters), with <c>&lt;{fire_time}&gt;</c> and <c>&lt;{schedule_name}&gt;</c>.</summary>
    [ApiField(NotNull = true)]
    public FieldUpdate<string> TemplateBody { get; init; }

    /// <summary>The id of a flow of your organization to run at every fire; null makes each fire generate its own flow.</summary>
    public FieldUpdate<Guid?> Flow { get; init; }

    /// <summary>
    /// Whether each fire's run waits for approval. Left out while <c>flow</c> changes, it follows the new flow (<c>true</c>
    /// without one, <c>false</c> with one); left out otherwise, it keeps its value.
    /// </summary>
    [ApiField(NotNull = true)]
    public FieldUpdate<bool?> RequiresApproval { get; init; }

    /// <summary><c>active</c>, <c>inactive</c> or <c>failed</c>.</summary>
    [ApiField(NotNull = true, ValuesOf = typeof(TriggerOperationStatus))]
    public FieldUpdate<string> Status { get; init; }

    /// <summary><c>run_once</c> or <c>skip</c>.</summary>
    [ApiField(NotNull = true, ValuesOf = typeof(Domain.Triggers.MissedFires))]
    public FieldUpdate<string> MissedFires { get; init; }
}

public sealed class UpdateScheduleTriggerOperationRequestValidator : AbstractValidator<UpdateScheduleTriggerOperationRequest>
{
    private const string NotNull = "none is not an allowed value";

    public UpdateScheduleTriggerOperationRequestValidator()
    {
        RuleFor(r => r.Id).NotNull();
        RuleFor(r => r).Custom((r, context) =>
        {
            if (r.Name.IsSet)
            {
                if (string.IsNullOrEmpty(r.Name.Value))
                    context.AddFailure("name", r.Name.Value is null ? NotNull : "ensure this value has at least 1 characters");
                else if (r.Name.Value.Length > ScheduleTriggerOperation.MaxNameLength)
                    context.AddFailure("name", $"ensure this value has at most {ScheduleTriggerOperation.MaxNameLength} characters");
            }
            if (r.TemplateBody.IsSet)
            {
                if (r.TemplateBody.Value is null)
                    context.AddFailure("template_body", NotNull);
                else if (r.TemplateBody.Value.Length == 0)
                    context.AddFailure("template_body", WebhookTriggerOperationRules.TemplateEmpty);
                else if (r.TemplateBody.Value.Length > ScheduleTriggerOperation.MaxTemplateLength)
                    context.AddFailure("template_body", $"ensure this value has at most {ScheduleTriggerOperation.MaxTemplateLength} characters");
            }
            if (r.Cron is { IsSet: true, Value: null })
                context.AddFailure("cron", NotNull);
            if (r.TimeZone is { IsSet: true, Value: null })
                context.AddFailure("time_zone", NotNull);
            if (r.RequiresApproval is { IsSet: true, Value: null })
                context.AddFailure("requires_approval", NotNull);
            if (r.Status.IsSet && !WebhookTriggerOperationRules.IsStatus(r.Status.Value))
                context.AddFailure("status", r.Status.Value is null ? NotNull : WebhookTriggerOperationRules.StatusMessage);
            if (r.MissedFires.IsSet && !ScheduleTriggerOperationRules.IsMissedFires(r.MissedFires.Value))
                context.AddFailure("missed_fires", r.MissedFires.Value is null ? NotNull : ScheduleTriggerOperationRules.MissedFiresMessage);
        });
    }
}

internal static class ScheduleTriggerOperationRules
{
    public static readonly string MissedFiresMessage =
        $"unexpected value; permitted: {string.Join(", ", Domain.Triggers.MissedFires.All.Select(s => $"'{s}'"))}";

    public static bool IsMissedFires(string? value) => value is not null && Domain.Triggers.MissedFires.All.Contains(value);
}

/// <summary>A schedule as stored, with its next fire times.</summary>
/// <param name="Cron">The cron expression (5 or 6 fields).</param>
/// <param name="TimeZone">The IANA zone the expression is read in.</param>
/// <param name="TemplateBody">The instructions template; each fire fills <c>fire_time</c> and <c>schedule_name</c>.</param>
/// <param name="Flow">The flow every fire runs; null when each fire's request gets a generated flow.</param>
/// <param name="RequiresApproval">Whether each fire's run is created <c>pending</c>, awaiting approval.</param>
/// <param name="Status"><c>active</c> (fires), <c>inactive</c> (does not) or <c>failed</c>.</param>
/// <param name="MissedFires"><c>run_once</c> or <c>skip</c>: what happens to slots missed while no server ran.</param>
/// <param name="NextFireTimes">The next 3 slots (UTC), whatever the status.</param>
/// <param name="LastFireTime">The slot of the newest trigger run it started (UTC); null before the first.</param>
/// <param name="DeletedAt">When the schedule was deleted; only a <c>DELETE</c> answer shows it set.</param>
[OutputSchema("ScheduleTriggerOperation")]
public sealed record ScheduleTriggerOperationResponse(
    Guid Id,
    string Name,
    string Cron,
    string TimeZone,
    string TemplateBody,
    Guid? Flow,
    bool RequiresApproval,
    [property: ApiField(ValuesOf = typeof(TriggerOperationStatus))] string Status,
    [property: ApiField(ValuesOf = typeof(Domain.Triggers.MissedFires))] string MissedFires,
    IReadOnlyList<DateTime> NextFireTimes,
    DateTime? LastFireTime,
    Guid Organization,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    string? CreatedByEmail,
    string? ModifiedByEmail,
    DateTime? DeletedAt);
