using System.Text;
using Neena.Domain.FlowRuns;

namespace Neena.Persistence.FlowRuns;

/// <summary>
/// The SQL form of a <see cref="RunCondition"/>, written from the same definition as its C# form, so a state rule is
/// never spelled twice. The statuses are the domain's constants (never input), so they are written as literals: a
/// partial index's filter and the planner need them in the text.
/// </summary>
public static class RunConditionSql
{
    /// <param name="alias">The run row's alias (<c>r</c> gives <c>r.status</c>); null for bare column names, as in an index filter.</param>
    public static string For(RunCondition condition, string? alias = "r")
    {
        ArgumentNullException.ThrowIfNull(condition);
        var column = alias is null ? "" : alias + ".";
        var parts = new List<string>
        {
            condition.Statuses.Count == 1
                ? $"{column}status = '{condition.Statuses[0]}'"
                : $"{column}status IN ({string.Join(", ", condition.Statuses.Select(s => $"'{s}'"))})",
        };
        if (condition.Decided is { } decided)
            parts.Add($"{column}approval_status IS {(decided ? "NOT NULL" : "NULL")}");
        if (condition.Retried is { } retried)
            parts.Add($"{column}retry_count {(retried ? "> 0" : "= 0")}");
        if (condition.WaitsForPerson is { } waits)
        {
            // A subquery on the run's task runs: only for statements on runs, never for an index filter.
            if (alias is null)
                throw new ArgumentException($"'{condition.Name}' reads the run's task runs and needs the run row's alias.", nameof(alias));
            var person = $"({column}approval_status IS NULL OR {AwaitingAnswer(alias)})";
            parts.Add(waits ? person : $"NOT {person}");
        }
        return parts.Count == 1 ? parts[0] : new StringBuilder("(").AppendJoin(" AND ", parts).Append(')').ToString();
    }

    /// <summary>Whether some task run of the run row <paramref name="runAlias"/> is an approval step waiting for an answer.</summary>
    public static string AwaitingAnswer(string runAlias = "r") =>
        $"EXISTS (SELECT 1 FROM task_runs aw WHERE aw.flow_run_id = {runAlias}.id AND {For(TaskRunConditions.AwaitingAnswer, "aw")})";

    /// <param name="alias">The task run row's alias; null for bare column names.</param>
    public static string For(TaskRunCondition condition, string? alias = "t")
    {
        ArgumentNullException.ThrowIfNull(condition);
        var column = alias is null ? "" : alias + ".";
        var status = condition.Statuses.Count == 1
            ? $"{column}status = '{condition.Statuses[0]}'"
            : $"{column}status IN ({string.Join(", ", condition.Statuses.Select(s => $"'{s}'"))})";
        return condition.RetryScheduled is { } scheduled
            ? $"({status} AND {column}next_attempt_at IS {(scheduled ? "NOT NULL" : "NULL")})"
            : status;
    }

    /// <summary>
    /// The error of a run's failed task (<see cref="TaskRunConditions.FailedTaskOf"/>) as a scalar expression on the run
    /// row <paramref name="runAlias"/>: null unless the run failed or completed with a tolerated failure. A failure that
    /// stopped the run comes first (false sorts before true), as in C#.
    /// </summary>
    public static string FailedTaskError(string runAlias = "r") =>
        $"CASE WHEN {For(RunConditions.WithFailedTask, runAlias)} THEN " +
        $"(SELECT t.error FROM task_runs t WHERE t.flow_run_id = {runAlias}.id AND {For(TaskRunConditions.Failed)} ORDER BY t.continue_on_failure, t.task_operation_index LIMIT 1) END";
}
