using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.Common;
using Neena.Domain.Triggers;

namespace Neena.Api.Contracts.FlowResults;

/// <summary>Which platform entity's newest flow result <c>GET /flow_results/</c> answers.</summary>
public sealed record FlowResultLookup
{
    /// <summary>The platform's id of the entity (a Trello card id, a Slack message <c>ts</c>).</summary>
    [FromQuery(Name = "integration_entity_id"), BindRequired]
    public string? IntegrationEntityId { get; init; }

    /// <summary>The short name of the entity's integration, such as <c>trello</c>.</summary>
    [FromQuery(Name = "integration_short_name"), BindRequired]
    public string? IntegrationShortName { get; init; }
}

public sealed class FlowResultLookupValidator : AbstractValidator<FlowResultLookup>
{
    public FlowResultLookupValidator()
    {
        RuleFor(q => q.IntegrationEntityId).NotEmpty().StorableText(TriggerRun.MaxEntityIdLength);
        RuleFor(q => q.IntegrationShortName).NotEmpty().StorableText(FlowResultRules.MaxShortNameLength);
    }
}

/// <summary>The optional filters of <c>/flow_results/all</c>.</summary>
public sealed record FlowResultFilter
{
    /// <summary>Only the result of this flow run (404 when the run is not one of your organization's).</summary>
    [FromQuery(Name = "flow_run_id")]
    public Guid? FlowRunId { get; init; }

    /// <summary>Only results of runs started by an event of this integration, such as <c>trello</c>.</summary>
    [FromQuery(Name = "integration_short_name")]
    public string? IntegrationShortName { get; init; }

    /// <summary>Only results of runs started by an event about this platform entity.</summary>
    [FromQuery(Name = "integration_entity_id")]
    public string? IntegrationEntityId { get; init; }
}

public sealed class FlowResultFilterValidator : AbstractValidator<FlowResultFilter>
{
    public FlowResultFilterValidator()
    {
        RuleFor(q => q.IntegrationEntityId).StorableText(TriggerRun.MaxEntityIdLength);
        RuleFor(q => q.IntegrationShortName).StorableText(FlowResultRules.MaxShortNameLength);
    }
}

internal static class FlowResultRules
{
    /// <summary>Longer than any integration's short name; a bound on what a query may make the database compare.</summary>
    public const int MaxShortNameLength = 100;
}
