using Neena.Domain.FlowRuns;
using Neena.Persistence.FlowRuns;
using Npgsql;

namespace Neena.IntegrationTests.FlowRuns;

/// <summary>
/// Every named condition on runs has one definition with two forms, C# and SQL: on every state a run row can be in
/// (each status, with and without an approval decision, retried or not, with or without a task run waiting at an
/// approval step) PostgreSQL and C# must agree.
/// </summary>
public sealed class RunConditionsAgreementTests(EngineOffFactory factory) : IClassFixture<EngineOffFactory>
{
    private static readonly string?[] Approvals = [null, ApprovalStatus.Approved, ApprovalStatus.Rejected];
    private static readonly int[] RetryCounts = [0, 1, 3];

    private static IEnumerable<(string Status, string? Approval, int Retries, bool AwaitingAnswer)> EveryRowState() =>
        from status in RunStatus.All
        from approval in Approvals
        from retries in RetryCounts
        from answer in new[] { false, true }
        select (status, approval, retries, answer);

    private static IEnumerable<RunCondition> EveryCondition() => RunConditions.All.Concat(AnalyticsState.Conditions.Values);

    [Fact]
    public async Task EveryCondition_OnEveryRowState_SqlAndCSharpAgree()
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        // The run's task runs, as the conditions that read them see them: a temporary table hides the real one on this
        // connection, holding one approval step waiting for an answer, of the run with id `waiting`.
        var waiting = Guid.NewGuid();
        await using (var create = new NpgsqlCommand("CREATE TEMP TABLE task_runs (flow_run_id uuid, status text, next_attempt_at timestamptz)", connection))
            await create.ExecuteNonQueryAsync();
        await using (var insert = new NpgsqlCommand("INSERT INTO task_runs VALUES ($1, 'waiting', NULL)", connection))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = waiting });
            await insert.ExecuteNonQueryAsync();
        }
        var disagreements = new List<string>();
        foreach (var condition in EveryCondition())
        {
            var sql = RunConditionSql.For(condition);
            foreach (var (status, approval, retries, answer) in EveryRowState())
            {
                await using var command = new NpgsqlCommand(
                    $"SELECT {sql} FROM (VALUES ($1::text, $2::text, $3::int, $4::uuid)) AS r(status, approval_status, retry_count, id)", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = status });
                command.Parameters.Add(new NpgsqlParameter { Value = (object?)approval ?? DBNull.Value });
                command.Parameters.Add(new NpgsqlParameter { Value = retries });
                command.Parameters.Add(new NpgsqlParameter { Value = answer ? waiting : Guid.NewGuid() });
                var inSql = (bool)(await command.ExecuteScalarAsync())!;
                if (inSql != condition.Matches(status, approval, retries, answer))
                    disagreements.Add($"{condition.Name} on ({status}, {approval ?? "null"}, {retries}, waiting step {answer}): SQL {inSql}, C# {!inSql}");
            }
        }
        Assert.Empty(disagreements);
    }

    [Fact]
    public async Task EveryTaskRunCondition_OnEveryRowState_SqlAndCSharpAgree()
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        var disagreements = new List<string>();
        foreach (var condition in TaskRunConditions.All)
        {
            foreach (var status in TaskRunStatus.All)
            {
                foreach (var scheduled in new[] { false, true })
                {
                    await using var command = new NpgsqlCommand(
                        $"SELECT {RunConditionSql.For(condition)} FROM (VALUES ($1::text, $2::timestamptz)) AS t(status, next_attempt_at)", connection);
                    command.Parameters.Add(new NpgsqlParameter { Value = status });
                    command.Parameters.Add(new NpgsqlParameter { Value = scheduled ? DateTime.UtcNow : DBNull.Value });
                    var inSql = (bool)(await command.ExecuteScalarAsync())!;
                    if (inSql != condition.Matches(status, scheduled))
                        disagreements.Add($"{condition.Name} on ({status}, retry scheduled {scheduled}): SQL {inSql}");
                }
            }
        }
        Assert.Empty(disagreements);
    }

    [Fact]
    public void FailedTask_OnlyOfAFailedRun_TheLowestFailedIndex()
    {
        string[] tasks = [RunStatus.Completed, RunStatus.Failed, RunStatus.Cancelled, RunStatus.Failed];
        var byIndex = tasks.Select((status, index) => (status, index: index.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();

        Assert.Equal("1", TaskRunConditions.FailedTaskOf(RunStatus.Failed, byIndex.Select(t => t.index), i => tasks[int.Parse(i, System.Globalization.CultureInfo.InvariantCulture)], _ => false));
        Assert.Null(TaskRunConditions.FailedTaskOf(RunStatus.Cancelled, byIndex.Select(t => t.index), i => tasks[int.Parse(i, System.Globalization.CultureInfo.InvariantCulture)], _ => false));
    }

    /// <summary>One task run as the failed task reads it: status, retry scheduled, continue_on_failure.</summary>
    private sealed record TaskState(int Index, string Status, bool RetryScheduled, bool Tolerated);

    private static readonly (string Status, bool RetryScheduled)[] TaskStatuses =
        [(RunStatus.Completed, false), (RunStatus.Failed, false), (RunStatus.Pending, true), (TaskRunStatus.Skipped, false)];

    /// <summary>
    /// The failed task in C# (the run JSON) and in SQL (analytics' error) agree on every run status and every run of
    /// three task runs, each in every status, tolerated (<c>continue_on_failure</c>) or not: a failure that stopped the
    /// run comes before a tolerated one at a lower index.
    /// </summary>
    [Fact]
    public async Task FailedTask_OnEveryTaskRunMix_SqlAndCSharpAgree()
    {
        var states = TaskStatuses.SelectMany(s => new[] { false, true }.Select(t => (s.Status, s.RetryScheduled, Tolerated: t))).ToList();
        var runs = (from a in states
                    from b in states
                    from c in states
                    select new[] { a, b, c }.Select((s, i) => new TaskState(i, s.Status, s.RetryScheduled, s.Tolerated)).ToList())
            .ToDictionary(_ => Guid.NewGuid());
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand(
            "CREATE TEMP TABLE task_runs (flow_run_id uuid, task_operation_index int, status text, error text, continue_on_failure boolean, next_attempt_at timestamptz)", connection))
            await create.ExecuteNonQueryAsync();
        await using (var batch = new NpgsqlBatch(connection))
        {
            foreach (var (run, tasks) in runs)
            {
                foreach (var t in tasks)
                {
                    var insert = new NpgsqlBatchCommand("INSERT INTO task_runs VALUES ($1, $2, $3, $4, $5, $6)");
                    insert.Parameters.Add(new NpgsqlParameter { Value = run });
                    insert.Parameters.Add(new NpgsqlParameter { Value = t.Index });
                    insert.Parameters.Add(new NpgsqlParameter { Value = t.Status });
                    insert.Parameters.Add(new NpgsqlParameter { Value = $"error {t.Index}" });
                    insert.Parameters.Add(new NpgsqlParameter { Value = t.Tolerated });
                    insert.Parameters.Add(new NpgsqlParameter { Value = t.RetryScheduled ? DateTime.UtcNow : DBNull.Value });
                    batch.BatchCommands.Add(insert);
                }
            }
            await batch.ExecuteNonQueryAsync();
        }
        var disagreements = new List<string>();
        foreach (var status in RunStatus.All)
        {
            await using var command = new NpgsqlCommand(
                $"SELECT r.id, {RunConditionSql.FailedTaskError("r")} FROM (SELECT DISTINCT flow_run_id AS id, $1::text AS status FROM task_runs) r", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = status });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var tasks = runs[reader.GetGuid(0)];
                var inSql = reader.IsDBNull(1) ? null : reader.GetString(1);
                var inCSharp = TaskRunConditions.FailedTaskOf(status, tasks, t => t.Status, t => t.Tolerated) is { } failed ? $"error {failed.Index}" : null;
                if (inSql != inCSharp)
                    disagreements.Add($"{status} run of [{string.Join(", ", tasks)}]: SQL {inSql ?? "null"}, C# {inCSharp ?? "null"}");
            }
        }
        Assert.Empty(disagreements);
        // The case the order is for: a tolerated failure at index 0, one that stopped the run at index 2.
        var mixed = runs.Values.First(ts => ts[0] is { Status: RunStatus.Failed, Tolerated: true } && ts[1].Status == RunStatus.Completed && ts[2] is { Status: RunStatus.Failed, Tolerated: false });
        Assert.Equal(2, TaskRunConditions.FailedTaskOf(RunStatus.Failed, mixed, t => t.Status, t => t.Tolerated)!.Index);
    }

    [Fact]
    public void AnalyticsStates_EveryPossibleRun_IsInExactlyOne()
    {
        // A run awaiting approval is pending; approval or retry makes it in progress; only in_progress without a decision cannot
        // exist, and only an approved run has task runs, one of which may wait at an approval step.
        var possible = EveryRowState().Where(s => !(s.Approval is null && s.Status == RunStatus.InProgress) && !(s.AwaitingAnswer && s.Approval != ApprovalStatus.Approved));
        foreach (var (status, approval, retries, answer) in possible)
            Assert.Single(AnalyticsState.All, s => AnalyticsState.Conditions[s].Matches(status, approval, retries, answer));
        // Approved and in progress, at an approval step: paused, whether retried or not.
        Assert.Equal(AnalyticsState.Paused, AnalyticsState.Of(RunStatus.InProgress, ApprovalStatus.Approved, 0, awaitingAnswer: true));
        Assert.Equal(AnalyticsState.Paused, AnalyticsState.Of(RunStatus.InProgress, ApprovalStatus.Approved, 2, awaitingAnswer: true));
    }

    [Fact]
    public void ClaimableIndexFilter_IsTheClaimableCondition() =>
        Assert.Equal("status = 'in_progress'", RunConditionSql.For(RunConditions.Claimable, alias: null));
}
