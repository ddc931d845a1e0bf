using System.Data;
using System.Data.Common;
using Dapper;
using Neena.Persistence.Sql;

namespace Neena.Persistence.FlowRuns;

/// <summary>
/// The task runs of a read handed over as an open reader, row by row, in the order the answer lists them, so that their
/// stored JSON can go from the connection's buffer to the response without a byte array per value (issue 23). The reader
/// is sequential: columns are read once, in the order of <see cref="TaskColumns"/>; status and operation_name come as
/// their UTF-8 bytes (bytea).
/// </summary>
public sealed partial class FlowRunQueries
{
    // The columns of TaskColumns, with status and operation_name as their UTF-8 bytes too (bytea travels as is): the
    // writer copies them into the answer with no string per task run.
    private static readonly string StreamedTaskColumns = TaskColumns
        .Replace("t.status, ", "convert_to(t.status, 'UTF8') AS status, ", StringComparison.Ordinal)
        .Replace("t.operation_name, ", "convert_to(t.operation_name, 'UTF8') AS operation_name, ", StringComparison.Ordinal);

    internal static readonly string StreamedOneRun =
        $"SELECT {RunColumns} FROM flow_runs r WHERE r.id = @id AND {TenantSql.ConditionOnKeyedRow("r")};\n" +
        $"SELECT {StreamedTaskColumns} FROM task_runs t WHERE t.flow_run_id = @id AND {TenantSql.ConditionOnKeyedRow("t")} ORDER BY t.task_operation_index";

    // In the page's order (its position in @runs), then by operation index: the answer is written as the rows arrive.
    internal static readonly string TasksOfRunsInOrder =
        $"SELECT {StreamedTaskColumns} FROM unnest(@runs) WITH ORDINALITY AS p(id, n) JOIN task_runs t ON t.flow_run_id = p.id " +
        $"WHERE {TenantSql.ConditionOnKeyedRow("t")} ORDER BY p.n, t.task_operation_index";

    /// <summary>
    /// One run, and its task runs as a sequential reader given to <paramref name="write"/> (one round trip); false, with
    /// nothing written, when the tenant has no such run.
    /// </summary>
    public Task<bool> ReadOneAsync(Tenant tenant, Guid id, Func<IReadOnlyList<FlowRunRow>, DbDataReader, Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        return db.WithConnectionAsync(async (connection, transaction) =>
        {
            var parameters = TenantSql.Parameters(tenant);
            parameters.Add("id", id);
            await using var reader = await connection.ExecuteReaderAsync(
                new CommandDefinition(StreamedOneRun, parameters, transaction, cancellationToken: cancellationToken), CommandBehavior.SequentialAccess);
            var runs = await FlowRunRowReader.RunsAsync(reader, cancellationToken);
            if (runs.Count == 0)
                return false;
            await reader.NextResultAsync(cancellationToken);
            await write(runs, reader);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// A page of runs as <see cref="ListAsync"/> reads it, given to <paramref name="write"/> with their task runs as a
    /// sequential reader in the page's order (null when the page is empty).
    /// </summary>
    public async Task ReadPageAsync(
        Tenant tenant, FlowRunListFilter filter, int skip, int limit, Func<IReadOnlyList<FlowRunRow>, DbDataReader?, Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(write);
        if (limit == 0)
        {
            await write([], null);
            return;
        }
        var (sql, where) = PageOfRuns(tenant, filter, skip, limit);
        await db.WithConnectionAsync(async (connection, transaction) =>
        {
            List<FlowRunRow> runs;
            await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, where.Parameters, transaction, cancellationToken: cancellationToken)))
                runs = await FlowRunRowReader.RunsAsync(reader, cancellationToken);
            if (runs.Count == 0)
            {
                await write(runs, null);
                return true;
            }
            var parameters = TenantSql.Parameters(tenant);
            var ids = new Guid[runs.Count];
            for (var i = 0; i < ids.Length; i++)
                ids[i] = runs[i].Id;
            parameters.Add("runs", ids);
            await using (var reader = await connection.ExecuteReaderAsync(
                new CommandDefinition(TasksOfRunsInOrder, parameters, transaction, cancellationToken: cancellationToken), CommandBehavior.SequentialAccess))
                await write(runs, reader);
            return true;
        }, cancellationToken);
    }
}
