using System.Text.Json.Nodes;

/// <summary>
/// What an engine round cost, next to its throughput: CPU time of the servers and of PostgreSQL, and the database's
/// transactions, per run. Unlike runs/s these hardly move when other work shares the machine, so changes are compared by them.
/// </summary>
internal sealed partial class Benchmark
{
    /// <summary>A sample of the counters an engine round is measured by; subtract two samples for the round.</summary>
    private sealed record CostSample(double ServerCpuMs, double PostgresCpuMs, long Transactions);

    // PostgreSQL 15+ backends flush their transaction counts when they go idle at most once a second, and otherwise within
    // 10 s; pg_stat_force_next_flush flushes only the calling backend. Reading the count sooner left some of the servers'
    // transactions on the wrong side of a sample, which made transactions/run jump between identical runs.
    private static readonly TimeSpan StatisticsSettle = TimeSpan.FromSeconds(11);

    /// <summary>
    /// Samples CPU now and the transaction count once the servers' statistics have settled. <paramref name="settleFirst"/>:
    /// wait before the whole sample (the start of a round, so that what came before is counted before it).
    /// </summary>
    private async Task<CostSample> SampleCostAsync(bool settleFirst)
    {
        if (settleFirst)
            await Task.Delay(StatisticsSettle);
        var server = _servers.Sum(s => s.HasExited ? 0 : CpuMilliseconds(s.ProcessId));
        var postgres = _postgresPid is { } pid ? PostgresCpuMilliseconds(pid) : double.NaN;
        if (!settleFirst)
            await Task.Delay(StatisticsSettle);
        await using var cmd = Db.CreateCommand("SELECT pg_stat_force_next_flush(); SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()");
        long transactions;
        try
        {
            await using var reader = await cmd.ExecuteReaderAsync();
            await reader.NextResultAsync();
            await reader.ReadAsync();
            transactions = reader.GetInt64(0);
        }
        catch (Npgsql.PostgresException)
        {
            // pg_stat_force_next_flush is PostgreSQL 15+; older servers flush on their own within a second.
            await Task.Delay(1100);
            await using var fallback = Db.CreateCommand("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()");
            transactions = (long)(await fallback.ExecuteScalarAsync())!;
        }
        return new CostSample(server, postgres, transactions);
    }

    private int? _postgresPid;

    private static void AddCost(JsonObject json, CostSample before, CostSample after, int runs, out double serverMs, out double postgresMs, out double transactions)
    {
        serverMs = (after.ServerCpuMs - before.ServerCpuMs) / runs;
        postgresMs = (after.PostgresCpuMs - before.PostgresCpuMs) / runs;
        transactions = (double)(after.Transactions - before.Transactions) / runs;
        json["server_cpu_ms_per_run"] = Math.Round(serverMs, 2);
        json["postgres_cpu_ms_per_run"] = double.IsNaN(postgresMs) ? null : Math.Round(postgresMs, 2);
        json["transactions_per_run"] = Math.Round(transactions, 1);
    }
}
