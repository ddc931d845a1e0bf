using Neena.Harness;
using Xunit.Abstractions;

namespace Neena.ReliabilityTests.Infrastructure;

/// <summary>Settings shared by the reliability tests' server processes.</summary>
public static class Servers
{
    /// <summary>A short lease so that a crashed instance's runs are taken over within seconds; fast fallback polling.</summary>
    public static Dictionary<string, string> Settings(int maxConcurrentRuns = 16) => new()
    {
        ["Engine__LeaseSeconds"] = "5",
        ["Engine__PollIntervalSeconds"] = "1",
        ["Engine__MaxConcurrentRuns"] = maxConcurrentRuns.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Engine__MaxConcurrentTasks"] = (2 * maxConcurrentRuns).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Engine__MaxConcurrentTasksPerRun"] = "4",
        ["Engine__TaskTimeoutSeconds"] = "60",
        ["Engine__RetryBaseDelayMilliseconds"] = "200",
        ["Engine__RetryMaxDelayMilliseconds"] = "2000",
        ["Integrations__Http__AllowedNetworks__0"] = "127.0.0.1/32",
    };

    public static Task<NeenaServerProcess> StartAsync(string connectionString, string instanceId, ITestOutputHelper output, int maxConcurrentRuns = 16) =>
        NeenaServerProcess.StartAsync(connectionString, instanceId, Settings(maxConcurrentRuns),
            log: line =>
            {
                // Warnings and errors only: the server's information logs would drown the test output.
                if (line.Contains(" WRN] ", StringComparison.Ordinal) || line.Contains(" ERR] ", StringComparison.Ordinal) || line.Contains(" FTL] ", StringComparison.Ordinal))
                    TryWrite(output, line);
            });

    public static void TryWrite(ITestOutputHelper output, string line)
    {
        try
        {
            output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test has already finished.
        }
    }
}
