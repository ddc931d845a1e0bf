using System.Text.Json.Nodes;
using Neena.Domain.Catalogue;
using Neena.Domain.Common;
using Neena.Domain.FlowRuns;
using Neena.Persistence.Configurations;
using Neena.Persistence.Sql;
using Npgsql;

namespace Neena.Persistence.FlowRuns;

/// <summary>A run as the engine reads it to execute it: the run row, its request, its task runs, definitions and dependencies.</summary>
/// <param name="RetryDelays">How long until each of the run's waiting tasks is due, by the database's clock (zero when already due).</param>
public sealed record RunSnapshotRows(
    Guid Id,
    Guid OrganizationId,
    string Status,
    string? ApprovalStatus,
    string FlowName,
    string RequestInstructions,
    string? RequestName,
    JsonArray RequestMetadata,
    string? StartTraceParent,
    List<TaskRun> Tasks,
    IReadOnlyDictionary<Guid, TaskDefinition> Definitions,
    IReadOnlyList<TaskDependencyRow> Dependencies,
    IReadOnlyDictionary<Guid, TimeSpan> RetryDelays);

/// <summary>A dependency between two task operations of the run's flow, with its instruction for the model.</summary>
public sealed record TaskDependencyRow(int Source, int Target, string? Instruction);

/// <summary>A run whose stored data can never be read (not a passing error): failing it at once beats claiming it again.</summary>
public sealed class UnreadableRunException : Exception
{
    public UnreadableRunException()
    {
    }

    public UnreadableRunException(string message)
        : base(message)
    {
    }

    public UnreadableRunException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The engine's run snapshot: a claimed run read in one round trip, four statements in one batch, so one implicit
/// transaction and one snapshot. Rows are read by column name. The engine acts for every organization, so no tenant
/// applies; soft deletion is ignored as well: a run keeps executing with the request, flow and task definitions it was
/// approved with, even if they are deleted later.
/// </summary>
public static class RunSnapshots
{
    private const string RunSql = """
        SELECT r.id, r.organization_id, r.status, r.approval_status, coalesce(f.name, '') AS flow_name,
               q.request_instructions, q.request_name, q.request_metadata::text AS request_metadata, r.start_trace_parent
        FROM flow_runs r
        LEFT JOIN flows f ON f.id = r.flow_id
        LEFT JOIN flow_requests q ON q.id = r.flow_request_id
        WHERE r.id = $1
        """;

    private static readonly string TasksSql = $"""
        SELECT id, organization_id, task_operation_index, status, start_time, end_time, result::text AS result, error, attempt,
               task_operation_id, task_definition_id, operation_name, instruction, parameters::text AS parameters, integration_credential_id,
               depends_on, sorted_index, prompt_tokens, completion_tokens, "join", continue_on_failure, conditions::text AS conditions, for_each,
               CASE WHEN {RunConditionSql.For(TaskRunConditions.WaitingForRetry, alias: null)} THEN greatest(next_attempt_at - now(), interval '0') END AS retry_delay
        FROM task_runs WHERE flow_run_id = $1
        ORDER BY sorted_index, task_operation_index
        """;

    // The flow's dependencies with their instructions, for the model's prompt (the task runs hold only the indexes).
    private const string DependenciesSql = """
        SELECT d.source_task_operation, d.target_task_operation, d.instruction
        FROM task_dependencies d WHERE d.flow_id = (SELECT flow_id FROM flow_runs WHERE id = $1)
        ORDER BY 1, 2
        """;

    private const string DefinitionsSql = """
        SELECT id, integration_id, task_name, parameters::text AS parameters, input_type, input_yml, description, python_method_name,
               output_type, output_yml, output_parameters::text AS output_parameters, output_is_list
        FROM task_definitions WHERE id IN (SELECT task_definition_id FROM task_runs WHERE flow_run_id = $1)
        """;

    public static async Task<RunSnapshotRows?> LoadAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var batch = dataSource.CreateBatch();
        AddTo(batch, runId);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadAsync(reader, runId, cancellationToken);
    }

    /// <summary>
    /// Claims the run an approval notification named and reads it, in one round trip: the claim first, then the reads,
    /// which see it. Null when the run was not claimable (another instance has it, it ended or waits for a retry, or it
    /// does not exist); then nothing was changed. The snapshot is null when the claim stands but the run cannot be read.
    /// </summary>
    public static async Task<(ClaimedRun Claim, RunSnapshotRows? Snapshot)?> ClaimAndLoadAsync(
        NpgsqlDataSource dataSource, RunLease lease, Guid runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(lease);
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(lease.ClaimOneCommand(runId));
        AddTo(batch, runId);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (await RunLease.ReadClaimAsync(reader, cancellationToken) is not { } claim)
            return null;
        try
        {
            await reader.NextResultAsync(cancellationToken);
            return (claim, await ReadAsync(reader, runId, cancellationToken));
        }
#pragma warning disable CA1031 // Any failure to read the rows is the run's, and counts against its attempts where its worker reads it again.
        catch (Exception ex) when (ex is not (OperationCanceledException or NpgsqlException))
#pragma warning restore CA1031
        {
            // The claim stands, but the run cannot be read (a stored row of the wrong shape): its worker reads it again,
            // where the error counts against the run's attempts (Engine:MaxRunAttempts), instead of stopping the claim loop.
            return (claim, null);
        }
    }

    private static void AddTo(NpgsqlBatch batch, Guid runId)
    {
        foreach (var sql in new[] { RunSql, TasksSql, DependenciesSql, DefinitionsSql })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = runId });
            batch.BatchCommands.Add(command);
        }
    }

    /// <summary>Reads the four result sets of <see cref="AddTo"/>, the reader standing on the first.</summary>
    private static async Task<RunSnapshotRows?> ReadAsync(NpgsqlDataReader reader, Guid runId, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        var row = new ColumnRow(reader);
        var organizationId = row.Uuid("organization_id");
        var status = row.Text("status");
        var approvalStatus = row.StringOrNull("approval_status");
        var flowName = row.Text("flow_name");
        var instructions = row.StringOrNull("request_instructions") ?? "";
        var requestName = row.StringOrNull("request_name");
        var metadata = row.StringOrNull("request_metadata") is { } text ? (JsonArray)Stored(text, "request metadata")! : [];
        var startTraceParent = row.StringOrNull("start_trace_parent");

        await reader.NextResultAsync(cancellationToken);
        var tasks = new List<TaskRun>();
        var retryDelays = new Dictionary<Guid, TimeSpan>();
        while (await reader.ReadAsync(cancellationToken))
        {
            row = new ColumnRow(reader);
            var task = new TaskRun
            {
                Id = row.Uuid("id"),
                OrganizationId = row.Uuid("organization_id"),
                FlowRunId = runId,
                TaskOperationIndex = row.Get<int>("task_operation_index"),
                Status = row.Text("status"),
                StartTime = row.OrNull<DateTime>("start_time"),
                EndTime = row.OrNull<DateTime>("end_time"),
                Result = row.StringOrNull("result") is { } result ? Stored(result, "task result") : null,
                Error = row.StringOrNull("error"),
                Attempt = row.Get<int>("attempt"),
                TaskOperationId = row.Uuid("task_operation_id"),
                TaskDefinitionId = row.Uuid("task_definition_id"),
                OperationName = row.Text("operation_name"),
                Instruction = row.StringOrNull("instruction"),
                // Cast as EF's mapping does: a stored value of the wrong shape is an error of the run, not silently nothing.
                Parameters = row.StringOrNull("parameters") is { } parameters ? (JsonObject?)Stored(parameters, "task parameters") : null,
                IntegrationCredentialId = row.OrNull<Guid>("integration_credential_id"),
                DependsOn = [.. row.Get<int[]>("depends_on")],
                SortedIndex = row.Get<int>("sorted_index"),
                PromptTokens = row.Get<long>("prompt_tokens"),
                CompletionTokens = row.Get<long>("completion_tokens"),
                Join = row.Text("join"),
                ContinueOnFailure = row.Get<bool>("continue_on_failure"),
                Conditions = row.StringOrNull("conditions") is { } conditions ? (JsonObject?)Stored(conditions, "task conditions") : null,
                ForEach = row.StringOrNull("for_each"),
            };
            if (row.OrNull<TimeSpan>("retry_delay") is { } delay)
                retryDelays[task.Id] = delay;
            tasks.Add(task);
        }

        await reader.NextResultAsync(cancellationToken);
        var dependencies = new List<TaskDependencyRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            row = new ColumnRow(reader);
            dependencies.Add(new TaskDependencyRow(row.Get<int>("source_task_operation"), row.Get<int>("target_task_operation"), row.StringOrNull("instruction")));
        }

        await reader.NextResultAsync(cancellationToken);
        var definitions = new Dictionary<Guid, TaskDefinition>();
        while (await reader.ReadAsync(cancellationToken))
        {
            row = new ColumnRow(reader);
            var definition = new TaskDefinition
            {
                Id = row.Uuid("id"),
                IntegrationId = row.Uuid("integration_id"),
                TaskName = row.Text("task_name"),
                Parameters = JsonbColumn.Read<List<ParameterDefinition>>(row.Text("parameters")),
                InputType = row.Text("input_type"),
                InputYml = row.Text("input_yml"),
                Description = row.Text("description"),
                PythonMethodName = row.Text("python_method_name"),
                OutputType = row.Text("output_type"),
                OutputYml = row.Text("output_yml"),
                OutputParameters = JsonbColumn.Read<List<ParameterDefinition>>(row.Text("output_parameters")),
                OutputIsList = row.Get<bool>("output_is_list"),
            };
            definitions[definition.Id] = definition;
        }

        return new RunSnapshotRows(runId, organizationId, status, approvalStatus, flowName, instructions, requestName, metadata, startTraceParent,
            tasks, definitions, dependencies, retryDelays);
    }

    /// <summary>A stored value, read with the depth every reader accepts; one deeper (stored before the limit) fails the run at once.</summary>
    private static JsonNode? Stored(string text, string what)
    {
        var node = JsonDepth.ParseStored(text, out var tooDeep);
        return tooDeep
            ? throw new UnreadableRunException($"The run's {what} nests deeper than {JsonDepth.MaxRead} levels of JSON and cannot be read.")
            : node;
    }
}
