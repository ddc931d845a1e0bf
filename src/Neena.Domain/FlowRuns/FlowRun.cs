using System.Text.Json.Nodes;
using Neena.Domain.Common;

namespace Neena.Domain.FlowRuns;

/// <summary>Run and task statuses as stored and shown (snake_case strings, indexed).</summary>
public static class RunStatus
{
    public const string Pending = "pending";
    public const string InProgress = "in_progress";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    /// <summary>A run's statuses (a run is never skipped or waiting; its task runs may be: <see cref="TaskRunStatus.All"/>).</summary>
    public static readonly IReadOnlyList<string> All = [Pending, InProgress, Completed, Failed, Cancelled];

    /// <summary>Ended: see <see cref="RunConditions.Finished"/>.</summary>
    public static bool IsFinished(string status) => RunConditions.Finished.Statuses.Contains(status);

    /// <summary>Not finished: see <see cref="RunStateMachine.OpenStatuses"/>.</summary>
    public static bool IsOpen(string status) => RunStateMachine.IsOpen(status);
}

/// <summary>
/// The statuses only a task run takes (issue 20), beyond the run's (<see cref="RunStatus"/>). Kept apart so that the
/// run's status enum (the OpenAPI <c>RunStatus</c> schema, the list filter) never offers them.
/// </summary>
public static class TaskRunStatus
{
    /// <summary>Its incoming edges were not taken, so it ended without preparation or call.</summary>
    public const string Skipped = "skipped";

    /// <summary>An approval step waiting for a person's answer.</summary>
    public const string Waiting = "waiting";

    /// <summary>Every status a task run can be in: the run's and these two.</summary>
    public static readonly IReadOnlyList<string> All = [.. RunStatus.All, Skipped, Waiting];
}

/// <summary>How a run was created (<c>run_type</c>): by a user with a JWT, with an API key, or by a webhook's or a schedule's trigger run.</summary>
public static class RunType
{
    public const string Manual = "manual";
    public const string Api = "api";
    public const string Webhook = "webhook";
    public const string Schedule = "schedule";

    public static readonly IReadOnlyList<string> All = [Manual, Api, Webhook, Schedule];
}

/// <summary>The kind of credential behind a run's creator or approver (<c>ran_by_type</c>).</summary>
public static class RanByType
{
    public const string User = "user";
    public const string ApiKey = "api_key";
}

/// <summary>Tags a client sets on a run when creating it: bounded so that they stay labels, and plain so that they filter well.</summary>
public static class RunTags
{
    public const int MaxCount = 20;
    public const int MaxLength = 64;

    /// <summary>Letters, digits and <c>- _ . : /</c>: what labels such as <c>env:prod</c> or <c>team/billing</c> need, nothing that needs escaping.</summary>
    public static bool IsValid(string tag) =>
        tag.Length is > 0 and <= MaxLength && tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/');
}

public static class ApprovalStatus
{
    public const string Approved = "approved";
    public const string Rejected = "rejected";
}

/// <summary>One execution of a flow for a flow request. The engine works on it while it holds the lease.</summary>
public sealed class FlowRun : ITenantOwned, IAudited, IHasId
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public Guid FlowId { get; set; }
    public Guid FlowRequestId { get; set; }
    public string Status { get; set; } = RunStatus.Pending;

    /// <summary>null while awaiting approval, then <c>approved</c> or <c>rejected</c>.</summary>
    public string? ApprovalStatus { get; set; }

    public DateTime? TriggeredTime { get; set; }

    /// <summary>When the run was approved and handed to the engine.</summary>
    public DateTime? StartTime { get; set; }

    public DateTime? EndTime { get; set; }
    public string? TriggeredBy { get; set; }

    /// <summary>The engine instance working on the run; null when nobody is.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>Until when <see cref="LeaseOwner"/> may work without renewing; after it, another instance takes the run over.</summary>
    public DateTime? LeaseExpiresAt { get; set; }

    /// <summary>
    /// Set while nobody holds the run because its only ready work is a task waiting for a retry: no instance claims it
    /// before this time.
    /// </summary>
    public DateTime? NextAttemptAt { get; set; }

    /// <summary>
    /// Claims of the run that did not end in good order: counted when an instance claims the run (a crash leaves no chance
    /// to count later) and given back when the instance hands the run back in good order (shutdown, a wait for a retry).
    /// A run that keeps bringing its workers down (crashes, unexpected errors) fails once this passes the engine's limit.
    /// </summary>
    public int ClaimAttempts { get; set; }

    /// <summary>Labels set on create; the list filter <c>tag=</c> matches them.</summary>
    public List<string> Tags { get; set; } = [];

    /// <summary>How the run was created (<see cref="FlowRuns.RunType"/>), recorded when it was.</summary>
    public string RunType { get; set; } = FlowRuns.RunType.Manual;

    /// <summary>The credential that created the run (<see cref="FlowRuns.RanByType"/>); null for a webhook's run.</summary>
    public string? CreatedByType { get; set; }

    /// <summary>The user id (JWT) or API key id that created the run.</summary>
    public Guid? CreatedById { get; set; }

    /// <summary>
    /// Who ran the run: the credential whose approval started it (at creation for a run created approved), until then its
    /// creator. Recorded at the moment of the creation and of the approval.
    /// </summary>
    public string? RanByType { get; set; }

    /// <summary>The user id or API key id of <see cref="RanByType"/>.</summary>
    public Guid? RanById { get; set; }

    /// <summary>The user behind <see cref="RanById"/> (the key's owner for an API key): analytics' <c>user_id</c>.</summary>
    public Guid? RanByUserId { get; set; }

    /// <summary>
    /// The prompt tokens of all its task runs, totalled when the run ends (null while it is open: the task runs hold the
    /// live counts), so that analytics over many runs need not read every task run.
    /// </summary>
    public long? PromptTokens { get; set; }

    /// <summary>The completion tokens of all its task runs, totalled when the run ends.</summary>
    public long? CompletionTokens { get; set; }

    /// <summary>How many times the run was retried after it ended failed or cancelled.</summary>
    public int RetryCount { get; set; }

    /// <summary>
    /// The W3C <c>traceparent</c> of the request that last started the run (its approval or retry), when that request was
    /// traced: the engine links the run's span to it.
    /// </summary>
    public string? StartTraceParent { get; set; }

    public List<TaskRun> TaskRuns { get; set; } = [];

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
}

/// <summary>
/// The execution of one task operation within a run. The operation is copied in when the run starts, so editing
/// the flow later cannot change a run that is under way.
/// </summary>
public sealed class TaskRun : ITenantOwned, IAudited, IHasId
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public Guid FlowRunId { get; set; }
    public int TaskOperationIndex { get; set; }
    public string Status { get; set; } = RunStatus.Pending;
    public DateTime? StartTime { get; set; }
    public DateTime? EndTime { get; set; }

    /// <summary><c>{"messages": [{"role", "content"}, …]}</c>: what preparation asked.</summary>
    public JsonObject? TaskPrepPrompt { get; set; }

    /// <summary><c>{"parameters": [{"name", "value", "explanation"}, …]}</c>: what preparation answered.</summary>
    public JsonObject? TaskPrepAnswer { get; set; }

    /// <summary>The task's JSON output (object or array).</summary>
    public JsonNode? Result { get; set; }

    public string? Error { get; set; }

    /// <summary>Tokens the language model was sent while preparing this task, over all its attempts.</summary>
    public long PromptTokens { get; set; }

    /// <summary>Tokens the language model answered while preparing this task, over all its attempts.</summary>
    public long CompletionTokens { get; set; }

    /// <summary>The language model that last prepared this task (its name as the endpoint gave it); null when none was asked.</summary>
    public string? Model { get; set; }

    /// <summary>How many times execution has started (retries and take-overs after a crash included).</summary>
    public int Attempt { get; set; }

    /// <summary>Earliest time of the next attempt after a transient failure (backoff); the task is <c>pending</c> meanwhile.</summary>
    public DateTime? NextAttemptAt { get; set; }

    public Guid TaskOperationId { get; set; }
    public Guid TaskDefinitionId { get; set; }
    public string OperationName { get; set; } = "";
    public string? Instruction { get; set; }
    public JsonObject? Parameters { get; set; }

    /// <summary>The credential the operation names, copied in like the rest of it; null means the organization's newest.</summary>
    public Guid? IntegrationCredentialId { get; set; }

    /// <summary>Indexes of the operations that must complete first.</summary>
    public List<int> DependsOn { get; set; } = [];

    public int SortedIndex { get; set; }

    /// <summary>The operation's join (issue 20), copied at approval: <c>all</c> incoming edges taken, or <c>any</c>.</summary>
    public string Join { get; set; } = Flows.TaskJoin.All;

    /// <summary>The operation's <c>continue_on_failure</c> (issue 20), copied at approval: its failure does not end the run.</summary>
    public bool ContinueOnFailure { get; set; }

    /// <summary>
    /// The incoming dependencies' conditions (issue 20), copied at approval: source operation index (as a string) →
    /// condition; a source without one is absent, and null means no source has one.
    /// </summary>
    public JsonObject? Conditions { get; set; }

    /// <summary>The operation's <c>for_each</c> binding (issue 20), copied at approval; null: the task runs once.</summary>
    public string? ForEach { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
}

/// <summary>The outcome of a finished run: exactly one per run.</summary>
public sealed class FlowResult : ITenantOwned, IAudited, ISoftDeletable, IHasId
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public Guid FlowRunId { get; set; }
    public required string Body { get; set; }
    /// <summary>The trigger run that started the run, when a webhook did.</summary>
    public Guid? TriggerRunId { get; set; }

    /// <summary>The platform entity the triggering event was about (a Trello card id); platforms' ids are not all uuids.</summary>
    public string? IntegrationEntityId { get; set; }

    /// <summary>The integration of the triggering event, so results can be found by platform and entity.</summary>
    public Guid? IntegrationId { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
    public DateTime? DeletedAt { get; set; }
}
