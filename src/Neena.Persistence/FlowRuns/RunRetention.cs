using Npgsql;

namespace Neena.Persistence.FlowRuns;

/// <summary>
/// Deletes finished runs that ended before a cutoff, a batch at a time, across organizations. Their task runs and flow
/// result go with them (foreign keys cascade), and trigger runs that made them keep their own row with
/// <c>flow_run_id</c> null (the key sets null). An open run is never deleted: the status is checked again on the
/// locked row, so a run reopened meanwhile (a retry) stays.
/// </summary>
public static class RunRetention
{
    private static readonly string Sql = $"""
        WITH doomed AS (
            SELECT id FROM flow_runs
            WHERE NOT ({RunLifecycle.Open}) AND coalesce(end_time, modified_date) < $1
            ORDER BY coalesce(end_time, modified_date)
            LIMIT $2
            FOR UPDATE SKIP LOCKED)
        DELETE FROM flow_runs r USING doomed WHERE r.id = doomed.id AND NOT (r.{RunLifecycle.Open})
        """;

    /// <summary>Deletes one batch; returns how many runs it deleted (fewer than <paramref name="batchSize"/>: nothing is left).</summary>
    public static async Task<int> DeleteBatchAsync(NpgsqlDataSource dataSource, DateTime endedBefore, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(Sql);
        command.Parameters.Add(new NpgsqlParameter { Value = DateTime.SpecifyKind(endedBefore, DateTimeKind.Utc) });
        command.Parameters.Add(new NpgsqlParameter { Value = batchSize });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
