using Neena.Harness;

// Neena benchmark: API reads and writes next to raw-PostgreSQL ceilings, and engine throughput with one and two servers.
// Usage: dotnet run -c Release --project bench/Neena.Bench -- [--url URL --database CONNSTR] [--quick]

var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("""
        Usage: dotnet run -c Release --project bench/Neena.Bench -- [--url URL --database CONNSTR] [--database CONNSTR] [--quick] [--output FILE]
          (no options)      start a throwaway PostgreSQL (or use NEENA_TEST_POSTGRES) and Neena servers, then measure
          --database C      use this (empty or Neena) database instead of a throwaway one
          --url U           measure an already running server (needs --database: its database, for ceilings and checks)
          --quick           a 1–2 minute smoke run with shorter cells and fewer runs
          --output F        where the JSON goes (default bench/results/latest.json)
          --sections LIST   only these, comma-separated: reads, allocation, writes, latency, engine, foreach, schedules, notifications, largerun, generation, analytics (default: all)
          --server-env K=V  an environment variable for servers A and B (repeatable), e.g. DOTNET_GCHeapCount=2 to compare GC settings
        """);
    return 2;
}

try
{
    return await new Benchmark(options).RunAsync();
}
finally
{
    ChildProcesses.KillAll();
}
