using System.Globalization;
using System.Text.Json.Nodes;

/// <summary>
/// What an engine round cost, next to its throughput: CPU time of the servers and of PostgreSQL, and the database's
/// transactions, per run. Unlike runs/s these hardly move when other work shares the machine, so changes are compared by them.
/// </summary>
internal sealed partial class Benchmark
{
    /// <summary>A sample of the counters an engine round is measured by; subtract two samples for the round.</summary>
    private sealed record CostSample(double ServerCpuMs, double PostgresCpuMs, long Transactions);

    private async Task<CostSample> SampleCostAsync()
    {
        var server = _servers.Sum(s => s.HasExited ? 0 : CpuMilliseconds(s.ProcessId));
        var postgres = _postgresPid is { } pid ? PostgresCpuMilliseconds(pid) : double.NaN;
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

    /// <summary>
    /// The postmaster's pid when PostgreSQL runs on this machine (found from a backend's parent), so that its CPU time can
    /// be read from /proc; null for a remote server.
    /// </summary>
    private async Task<int?> FindPostgresPidAsync()
    {
        await using var cmd = Db.CreateCommand("SELECT pg_backend_pid()");
        var backend = (int)(await cmd.ExecuteScalarAsync())!;
        var stat = $"/proc/{backend}/stat";
        if (!File.Exists(stat))
            return null;
        var text = File.ReadAllText(stat);
        if (!text.Contains("(postgres)", StringComparison.Ordinal))
            return null;
        return int.Parse(text[(text.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The postmaster's CPU time with that of its children: the live ones (backends of pooled connections) from their own
    /// /proc entries, the ended ones from the postmaster's cutime/cstime, which takes them over when it reaps them.
    /// </summary>
    private static double PostgresCpuMilliseconds(int postmaster)
    {
        static long[]? Fields(string path)
        {
            try
            {
                var text = File.ReadAllText(path);
                return text[(text.LastIndexOf(')') + 2)..].Split(' ').Select(f => long.TryParse(f, CultureInfo.InvariantCulture, out var v) ? v : 0).ToArray();
            }
            catch (IOException)
            {
                return null; // the process ended meanwhile
            }
        }

        var own = Fields($"/proc/{postmaster}/stat");
        if (own is null)
            return double.NaN;
        long ticks = own[11] + own[12] + own[13] + own[14];
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
                continue;
            if (Fields(Path.Combine(dir, "stat")) is { } child && child[1] == postmaster)
                ticks += child[11] + child[12];
        }
        return ticks * 10.0;
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
