internal sealed record BenchOptions(Uri? Url, string? Database, bool Quick, string? Output, IReadOnlySet<string> Sections, IReadOnlyDictionary<string, string> ServerEnvironment)
{
    public static readonly string[] AllSections = ["reads", "allocation", "writes", "latency", "engine", "foreach", "schedules", "notifications", "largerun", "generation", "analytics"];

    public bool Runs(string section) => Sections.Contains(section);

    public TimeSpan CellDuration => Quick ? TimeSpan.FromSeconds(1.5) : TimeSpan.FromSeconds(8);
    public TimeSpan WarmUp => Quick ? TimeSpan.FromSeconds(0.3) : TimeSpan.FromSeconds(1);

    /// <summary>Unrecorded load on each read endpoint and its ceiling before the reads section's first cell.</summary>
    public TimeSpan ReadsWarmUp => Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(6);
    public int ApprovePool => Quick ? 300 : 3000;
    public int EngineRuns => Quick ? 200 : 1000;
    public int[] ReadConcurrencies => [1, 16, 64];
    public const int WriteConcurrency = 16;
    public const int ApproveAllConcurrency = 32;

    public static BenchOptions? Parse(string[] args)
    {
        Uri? url = null;
        string? database = null;
        string? output = null;
        var quick = false;
        var sections = new HashSet<string>(AllSections, StringComparer.Ordinal);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--sections" when i + 1 < args.Length:
                    sections = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    if (sections.Except(AllSections).Any())
                        return null;
                    break;
                case "--server-env" when i + 1 < args.Length && args[i + 1].Contains('=', StringComparison.Ordinal):
                    var pair = args[++i].Split('=', 2);
                    environment[pair[0]] = pair[1];
                    break;
                case "--url" when i + 1 < args.Length:
                    url = new Uri(args[++i].TrimEnd('/') + "/");
                    break;
                case "--database" when i + 1 < args.Length:
                    database = args[++i];
                    break;
                case "--output" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                default:
                    return null;
            }
        }
        if (url is not null && database is null)
            return null;
        if (url is not null && !(url.IsLoopback))
        {
            Console.Error.WriteLine("--url must be a loopback address (the benchmark only targets 127.0.0.1).");
            return null;
        }
        return new BenchOptions(url, database, quick, output, sections, environment);
    }
}
