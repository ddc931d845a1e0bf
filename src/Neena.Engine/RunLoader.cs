using System.Text.Json.Nodes;
using Neena.Agent.Preparation;
using Neena.Domain.Catalogue;
using Neena.Domain.Common;
using Neena.Domain.FlowRuns;
using Neena.Persistence.Configurations;
using Neena.Persistence.FlowRuns;
using Npgsql;

namespace Neena.Engine;

/// <summary>What a worker needs to execute a claimed run, read once when it starts.</summary>
/// <param name="RetryDelays">How long until each of the run's waiting tasks is due, by the database's clock (zero when already due).</param>
internal sealed record RunSnapshot(
    Guid Id,
    Guid OrganizationId,
    string Status,
    string FlowName,
    FlowRequestInfo Request,
    List<TaskRun> Tasks,
    IReadOnlyDictionary<Guid, TaskDefinition> Definitions,
    IReadOnlyList<DependencyInfo> Dependencies,
    IReadOnlyDictionary<Guid, TimeSpan> RetryDelays,
    string? StartTraceParent = null);

/// <summary>
/// Reads a claimed run in one round trip: four statements in one batch, so one implicit transaction and one snapshot.
/// The engine acts for every organization, so no tenant applies; soft deletion is ignored as well: a run keeps executing
/// with the request, flow and task definitions it was approved with, even if they are deleted later.
/// </summary>
internal static class RunLoader
{
    private const string RunSql = """
        SELECT r.id, r.organization_id, r.status, coalesce(f.name, ''), q.request_instructions, q.request_name, q.request_metadata::text,
               r.start_trace_parent
        FROM flow_runs r
        LEFT JOIN flows f ON f.id = r.flow_id
        LEFT JOIN flow_requests q ON q.id = r.flow_request_id
        WHERE r.id = $1
        """;

    private static readonly string TasksSql = $"""
        SELECT id, organization_id, task_operation_index, status, start_time, end_time, result::text, error, attempt,
               task_operation_id, task_definition_id, operation_name, instruction, parameters::text, integration_credential_id,
               depends_on, sorted_index, prompt_tokens, completion_tokens,
               CASE WHEN {RunConditionSql.For(TaskRunConditions.WaitingForRetry, alias: null)} THEN greatest(next_attempt_at - now(), interval '0') END
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
        SELECT id, integration_id, task_name, parameters::text, input_type, input_yml, description, python_method_name,
               output_type, output_yml, output_parameters::text, output_is_list
        FROM task_definitions WHERE id IN (SELECT task_definition_id FROM task_runs WHERE flow_run_id = $1)
        """;

    public static async Task<RunSnapshot?> LoadAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        AddTo(batch, runId);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadAsync(reader, runId, cancellationToken);
    }

    /// <summary>
    /// Claims the run an approval notification named and reads it, in one round trip: the claim first, then the reads,
    /// which see it. Null when the run was not claimable (another instance has it, it ended or waits for a retry, or it
    /// does not exist); then nothing was changed.
    /// </summary>
    public static async Task<(ClaimedRun Claim, RunSnapshot? Snapshot)?> ClaimAndLoadAsync(
        NpgsqlDataSource dataSource, RunLease lease, Guid runId, CancellationToken cancellationToken)
    {
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
        catch (Exception ex) when (ex is not (OperationCanceledException or NpgsqlException))
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
    private static async Task<RunSnapshot?> ReadAsync(NpgsqlDataReader reader, Guid runId, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        var organizationId = reader.GetGuid(1);
        var status = reader.GetString(2);
        var flowName = reader.GetString(3);
        var request = new FlowRequestInfo(
            reader.IsDBNull(4) ? "" : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? [] : (JsonArray)Stored(reader.GetString(6), "request metadata")!);
        var startTraceParent = reader.IsDBNull(7) ? null : reader.GetString(7);

        await reader.NextResultAsync(cancellationToken);
        var tasks = new List<TaskRun>();
        var retryDelays = new Dictionary<Guid, TimeSpan>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var task = new TaskRun
            {
                Id = reader.GetGuid(0),
                OrganizationId = reader.GetGuid(1),
                FlowRunId = runId,
                TaskOperationIndex = reader.GetInt32(2),
                Status = reader.GetString(3),
                StartTime = reader.IsDBNull(4) ? null : reader.GetDateTime(4),
                EndTime = reader.IsDBNull(5) ? null : reader.GetDateTime(5),
                Result = reader.IsDBNull(6) ? null : Stored(reader.GetString(6), "task result"),
                Error = reader.IsDBNull(7) ? null : reader.GetString(7),
                Attempt = reader.GetInt32(8),
                TaskOperationId = reader.GetGuid(9),
                TaskDefinitionId = reader.GetGuid(10),
                OperationName = reader.GetString(11),
                Instruction = reader.IsDBNull(12) ? null : reader.GetString(12),
                // Cast as EF's mapping does: a stored value of the wrong shape is an error of the run, not silently nothing.
                Parameters = reader.IsDBNull(13) ? null : (JsonObject?)Stored(reader.GetString(13), "task parameters"),
                IntegrationCredentialId = reader.IsDBNull(14) ? null : reader.GetGuid(14),
                DependsOn = [.. reader.GetFieldValue<int[]>(15)],
                SortedIndex = reader.GetInt32(16),
                PromptTokens = reader.GetInt64(17),
                CompletionTokens = reader.GetInt64(18),
            };
            if (!reader.IsDBNull(19))
                retryDelays[task.Id] = reader.GetTimeSpan(19);
            tasks.Add(task);
        }

        await reader.NextResultAsync(cancellationToken);
        var dependencies = new List<DependencyInfo>();
        while (await reader.ReadAsync(cancellationToken))
            dependencies.Add(new DependencyInfo(reader.GetInt32(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2)));

        await reader.NextResultAsync(cancellationToken);
        var definitions = new Dictionary<Guid, TaskDefinition>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var definition = new TaskDefinition
            {
                Id = reader.GetGuid(0),
                IntegrationId = reader.GetGuid(1),
                TaskName = reader.GetString(2),
                Parameters = JsonbColumn.Read<List<ParameterDefinition>>(reader.GetString(3)),
                InputType = reader.GetString(4),
                InputYml = reader.GetString(5),
                Description = reader.GetString(6),
                PythonMethodName = reader.GetString(7),
                OutputType = reader.GetString(8),
                OutputYml = reader.GetString(9),
                OutputParameters = JsonbColumn.Read<List<ParameterDefinition>>(reader.GetString(10)),
                OutputIsList = reader.GetBoolean(11),
            };
            definitions[definition.Id] = definition;
        }

        return new RunSnapshot(runId, organizationId, status, flowName, request, tasks, definitions, dependencies, retryDelays, startTraceParent);
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

/// <summary>A run whose stored data can never be read (not a passing error): failing it at once beats claiming it again.</summary>
internal sealed class UnreadableRunException(string message) : Exception(message);
