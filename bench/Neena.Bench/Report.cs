using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Bench;
using Neena.Harness;

/// <summary>The figures as markdown (standard output) and JSON (a file), and the shapes of a cell in both.</summary>
internal sealed partial class Benchmark
{
    private static string ErrorNote(params CellResult[] cells)
    {
        var errors = cells.Sum(c => c.Errors);
        return errors == 0 ? "" : $" ({errors} errors: {cells.Select(c => c.FirstError).FirstOrDefault(e => e is not null)})";
    }

    private static JsonObject Cell(CellResult c) => new()
    {
        ["operations"] = c.Operations,
        ["errors"] = c.Errors,
        ["seconds"] = c.Seconds,
        ["per_second"] = c.PerSecond,
        ["p50_ms"] = c.P50Ms,
        ["p99_ms"] = c.P99Ms,
        ["first_error"] = c.FirstError,
    };
    private void SampleMemory()
    {
        var memory = new JsonArray();
        _markdown.Add("\n## Server memory\n");
        _markdown.Add("| server | peak RSS (VmHWM) MiB |");
        _markdown.Add("|---|---:|");
        foreach (var server in _servers)
        {
            var kb = server.SamplePeakRssKb();
            memory.Add(new JsonObject { ["server"] = server.InstanceId, ["peak_rss_mb"] = Math.Round(kb / 1024.0, 1) });
            _markdown.Add(NeenaClient.Invariant($"| {server.InstanceId} | {kb / 1024.0:F0} |"));
        }
        if (_servers.Count == 0)
            _markdown.Add("| (external server) | not measured |");
        _json["memory"] = memory;
    }

    private void WriteReport(JsonObject machine)
    {
        _json["total_seconds"] = Math.Round(_total.Elapsed.TotalSeconds, 1);
        var header = NeenaClient.Invariant(
            $"# Neena benchmark{(options.Quick ? " (quick)" : "")}\n\nMachine: {machine["cores"]} cores ({machine["cpu"]}), {machine["memory_mb"]} MiB, {machine["os"]}, {machine["dotnet"]}, PostgreSQL {machine["postgresql"]}. Total {_total.Elapsed.TotalSeconds:F0} s.\n");
        var (goalLines, goalJson) = GoalsTable();
        Console.WriteLine(header);
        foreach (var line in goalLines)
            Console.WriteLine(line);
        Console.WriteLine();
        foreach (var line in _markdown)
            Console.WriteLine(line);

        // The goals first in the JSON too: a node moves to the new object only once detached from the old.
        var ordered = new JsonObject { ["goals"] = goalJson };
        foreach (var key in _json.Select(p => p.Key).ToList())
        {
            var node = _json[key];
            _json.Remove(key);
            ordered[key] = node;
        }
        var output = options.Output ?? Path.Combine(RepositoryRoot(), "bench", "results", "latest.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, ordered.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Console.WriteLine($"\nJSON: {Path.GetFullPath(output)}");
    }

    private static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Neena.sln")))
                    return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
