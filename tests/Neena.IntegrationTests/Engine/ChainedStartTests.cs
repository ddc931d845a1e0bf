using Microsoft.AspNetCore.Hosting;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using Npgsql;
using Serilog.Events;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Engine;

/// <summary>The engine with one task slot per run, so that a completion that makes several tasks ready may chain only one start.</summary>
public sealed class OneTaskPerRunFactory : EngineFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>(base.ExtraSettings)
    {
        ["Engine:MaxConcurrentTasksPerRun"] = "1",
    };
}

/// <summary>The engine allowed one attempt per task: nothing may count a chained start as an interrupted attempt.</summary>
public sealed class OneAttemptFactory : EngineFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>(base.ExtraSettings)
    {
        ["Engine:MaxAttempts"] = "1",
    };
}

/// <summary>A chained task with one attempt allowed runs it (it used to be failed as "interrupted 1 time(s)").</summary>
public sealed class ChainedStartOneAttemptTests(OneAttemptFactory factory) : IClassFixture<OneAttemptFactory>
{
    [Fact]
    public async Task With_one_attempt_per_task_a_chained_task_runs_its_attempt()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "chain, one attempt",
        [
            new Op(0, echo, new { message = "one" }),
            new Op(1, echo, new { message = "{{tasks.0.result.message}} two" }),
        ], [(0, 1)]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Equal("one two", TaskRun(run, 1)["result"]!["message"]!.GetValue<string>());
    }
}

/// <summary>The engine's server with every log event kept in <see cref="Logs"/>.</summary>
public sealed class LoggedEngineFactory : EngineFactory
{
    public LogEvents Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        Logs.KeepFrom(builder);
    }
}

/// <summary>
/// Issue 23: a task's completion and the starts of the tasks it makes ready are written in one round trip (one transaction,
/// so one <c>now()</c>): the successor's start time is its predecessor's end time to the microsecond.
/// </summary>
public sealed class ChainedStartTests(LoggedEngineFactory factory) : IClassFixture<LoggedEngineFactory>
{
    [Fact]
    public async Task A_completion_starts_its_linear_successor_in_the_same_transaction_with_its_preparation()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "chain",
        [
            new Op(0, echo, new { message = "one" }),
            new Op(1, echo, new { message = "{{tasks.0.result.message}} two" }),
            new Op(2, echo, new { message = "{{tasks.1.result.message}} three" }),
        ], [(0, 1), (1, 2)]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Equal("one two three", TaskRun(run, 2)["result"]!["message"]!.GetValue<string>());
        var rows = await TaskRowsAsync(runId);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(1, r.Attempt));
        Assert.All(rows, r => Assert.True(r.Prepared, "the preparation is written with the start"));
        Assert.Equal(rows[0].End, rows[1].Start);
        Assert.Equal(rows[1].End, rows[2].Start);
        // A chained task is found in progress because its predecessor's completion started it, not because an
        // instance was interrupted while running it.
        Assert.DoesNotContain(factory.Logs.Events, e => e.Level >= LogEventLevel.Warning && LogEvents.Text(e).Contains(runId, StringComparison.Ordinal));
        Assert.DoesNotContain(factory.Logs.Events, e => e.MessageTemplate.Text.Contains("interrupted", StringComparison.Ordinal));
    }

    private async Task<List<(DateTime Start, DateTime End, int Attempt, bool Prepared)>> TaskRowsAsync(string runId)
    {
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        await using var command = db.CreateCommand("""
            SELECT t.start_time, t.end_time, t.attempt, t.task_prep_answer IS NOT NULL
            FROM task_runs t WHERE t.flow_run_id = @run ORDER BY t.task_operation_index
            """);
        command.Parameters.AddWithValue("run", Guid.Parse(runId));
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(DateTime, DateTime, int, bool)>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetDateTime(0), reader.GetDateTime(1), reader.GetInt32(2), reader.GetBoolean(3)));
        return rows;
    }
}

/// <summary>A chained start takes a slot like any start: the run's bound holds when one completion makes several tasks ready.</summary>
public sealed class ChainedStartBoundTests(OneTaskPerRunFactory factory) : IClassFixture<OneTaskPerRunFactory>
{
    [Fact]
    public async Task A_completion_that_makes_three_tasks_ready_starts_only_as_many_as_the_run_may_run()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var wait = await factory.TaskDefinitionIdAsync("core", "Wait");
        var flow = await CreateFlowAsync(client, "fan out",
        [
            new Op(0, echo, new { message = "go" }),
            new Op(1, wait, new { seconds = 1 }),
            new Op(2, wait, new { seconds = 1 }),
            new Op(3, wait, new { seconds = 1 }),
        ], [(0, 1), (0, 2), (0, 3)]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        var branches = new[] { 1, 2, 3 }.Select(i => TaskRun(run, i)).OrderBy(t => Time(t, "start_time")).ToList();
        // One at a time: each branch started after the one before it ended.
        Assert.True(Time(branches[1], "start_time") >= Time(branches[0], "end_time"));
        Assert.True(Time(branches[2], "start_time") >= Time(branches[1], "end_time"));
    }
}
