using System.Globalization;
using Neena.Harness;

/// <summary>
/// What a process costs, read from /proc: CPU time of a server and of PostgreSQL with its backends, resident memory now.
/// Where there is no /proc they read NaN or 0.
/// </summary>
internal sealed partial class Benchmark
{
    /// <summary>User + system CPU time of a process so far (/proc/PID/stat, in clock ticks of 10 ms); NaN where there is no /proc.</summary>
    private static double CpuMilliseconds(int processId)
    {
        var path = $"/proc/{processId}/stat";
        if (!File.Exists(path))
            return double.NaN;
        var stat = File.ReadAllText(path);
        // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return ticks * 10.0;
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

    /// <summary>Resident memory now (VmRSS), unlike <see cref="NeenaServerProcess.SamplePeakRssKb"/> (the peak).</summary>
    private static long CurrentRssKb(int processId)
    {
        var status = $"/proc/{processId}/status";
        if (!File.Exists(status))
            return 0;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
