using Npgsql;

namespace Neena.ReliabilityTests.Infrastructure;

/// <summary>Direct reads of the server's database, for checks the API does not expose (attempts, flow result counts).</summary>
public static class Db
{
    public static async Task<long> CountAsync(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
            command.Parameters.AddWithValue(p);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<List<object[]>> RowsAsync(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
            command.Parameters.AddWithValue(p);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object[]>();
        while (await reader.ReadAsync())
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add(values);
        }
        return rows;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; database errors (an outage) count as "not yet".</summary>
    public static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                    return true;
            }
            catch (Exception e) when (e is NpgsqlException or HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                NpgsqlConnection.ClearAllPools();
            }
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(250));
        }
        return false;
    }

    /// <summary>Runs that are not yet completed, failed or cancelled.</summary>
    public static Task<long> UnfinishedAsync(string connectionString, Guid[] runs) =>
        CountAsync(connectionString, "SELECT count(*) FROM flow_runs WHERE id = ANY($1) AND status NOT IN ('completed','failed','cancelled')", runs);

    /// <summary>A summary of the runs' states, for failure messages.</summary>
    public static async Task<string> DescribeAsync(string connectionString, Guid[] runs)
    {
        var rows = await RowsAsync(connectionString,
            "SELECT status, count(*) FROM flow_runs WHERE id = ANY($1) GROUP BY status ORDER BY status", runs);
        var errors = await RowsAsync(connectionString,
            "SELECT DISTINCT left(error, 300) FROM task_runs WHERE flow_run_id = ANY($1) AND error IS NOT NULL LIMIT 5", runs);
        return "runs by status: " + string.Join(", ", rows.Select(r => $"{r[0]}={r[1]}")) +
               (errors.Count > 0 ? "; task errors: " + string.Join(" | ", errors.Select(e => e[0])) : "");
    }
}
