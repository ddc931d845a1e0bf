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

        Assert.Equal("1", TaskRunConditions.FailedTaskOf(RunStatus.Failed, byIndex.Select(t => t.index), i => tasks[int.Parse(i, System.Globalization.CultureInfo.InvariantCulture)]));
        Assert.Null(TaskRunConditions.FailedTaskOf(RunStatus.Cancelled, byIndex.Select(t => t.index), i => tasks[int.Parse(i, System.Globalization.CultureInfo.InvariantCulture)]));
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
