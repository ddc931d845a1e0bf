using System.Text.RegularExpressions;
using Neena.IntegrationTests.Infrastructure;
using Neena.Persistence.FlowRuns;
using Npgsql;
using NpgsqlTypes;

namespace Neena.IntegrationTests.FlowRuns;

/// <summary>
/// The statements that find a run (or a run's task runs) by its key can only be planned through that key (issue 23).
/// Measured with auto_explain under the benchmark, the planner took the indexes that lead with <c>organization_id</c>, or
/// the partial claim index, whenever the statistics were older than the rows: the approval, the by-id read and the
/// engine's fenced writes read every run of the organization, or every run in progress, for one row. Here the keys are
/// dropped (in a transaction that is rolled back) and sequential scans are discouraged, so that a statement the
/// organization's indexes or the claim index could serve shows it in its plan.
/// </summary>
public sealed partial class KeyedStatementPlanTests : IAsyncLifetime
{
    private string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await TestDatabase.CreateDatabaseAsync();

    public Task DisposeAsync() => TestDatabase.DropDatabaseAsync(_connectionString);

    public static TheoryData<string, string> Statements()
    {
        var lease = new RunLease(NpgsqlDataSource.Create("Host=localhost"), "owner", TimeSpan.FromMinutes(1));
        var data = new TheoryData<string, string>
        {
            { "approve", RunLifecycle.ApproveStatement },
            { "by-id read", FlowRunQueries.OneRun },
            { "by-id read, streamed", FlowRunQueries.StreamedOneRun },
            { "a page's task runs", FlowRunQueries.TasksOfRuns },
            { "a page's task runs, streamed", FlowRunQueries.TasksOfRunsInOrder },
            { "the engine's lease fence", $"SELECT {lease.Fence}" },
            { "the claim of one run", lease.ClaimOneCommand(Guid.NewGuid()).CommandText },
        };
        foreach (var (statement, i) in RunLifecycle.ApproveAndRead.Split(";\n").Select((s, i) => (s, i)))
            data.Add($"approve and read, statement {i + 1}", statement);
        return data;
    }

    [Theory]
    [MemberData(nameof(Statements))]
    public async Task A_statement_by_key_uses_no_other_index_of_runs_or_task_runs(string name, string statement)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var drop = new NpgsqlCommand("""
            ALTER TABLE flow_runs DROP CONSTRAINT pk_flow_runs CASCADE;
            ALTER TABLE task_runs DROP CONSTRAINT pk_task_runs CASCADE;
            DROP INDEX ix_task_runs_flow_run_id_task_operation_index;
            SET LOCAL enable_seqscan = off;
            """, connection, transaction))
            await drop.ExecuteNonQueryAsync();

        await using var explain = new NpgsqlCommand("EXPLAIN " + statement, connection, transaction);
        foreach (var parameter in Parameter().Matches(statement).Select(m => m.Groups[1].Value).Distinct())
            explain.Parameters.Add(Value(parameter));
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                plan.Add(reader.GetString(0));
        }
        await transaction.RollbackAsync();

        // With the keys gone and sequential scans discouraged, the planner may still walk a whole index that holds the id
        // somewhere (an artefact of this test): what must not appear is an index searched by the organization, or the claim
        // index, which is how the statements went wrong.
        var text = string.Join("\n", plan);
        Assert.False(Regex.IsMatch(text, @"Index Cond: \(+(\w+\.)?organization_id"), $"{name}: rows are searched by their organization:\n{text}");
        Assert.DoesNotContain("ix_flow_runs_claimable", text, StringComparison.Ordinal);
        Assert.DoesNotContain("ix_task_runs_organization_id", text, StringComparison.Ordinal);
    }

    // A name after '@' (never '@>' or '@@' here: the statements use neither).
    [GeneratedRegex(@"(?<![@\w])@([a-z_]+)")]
    private static partial Regex Parameter();

    private static NpgsqlParameter Value(string name) => name switch
    {
        "runs" => new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = new[] { Guid.NewGuid() } },
        "run" or "id" or "task" or "org" or "tenant" or "caller_id" or "caller_user" => new NpgsqlParameter(name, NpgsqlDbType.Uuid) { Value = Guid.NewGuid() },
        "at" => new NpgsqlParameter(name, NpgsqlDbType.TimestampTz) { Value = DateTime.UtcNow },
        "lease" => new NpgsqlParameter(name, NpgsqlDbType.Interval) { Value = TimeSpan.FromMinutes(1) },
        "max" => new NpgsqlParameter(name, NpgsqlDbType.Integer) { Value = 1 },
        _ => new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = "x" },
    };
}
