using System.Diagnostics;

namespace Neena.Bench;

/// <summary>Throughput and latency of one measured cell.</summary>
public sealed record CellResult(int Concurrency, long Operations, long Errors, double Seconds, double PerSecond, double P50Ms, double P99Ms, string? FirstError);

/// <summary>
/// A closed-loop load generator: <c>concurrency</c> workers each run the operation back to back. Bounded by time and by
/// operation count, and it stops by itself. Operations started during the warm-up are executed but not recorded.
/// </summary>
public static class LoadRunner
{
    public static async Task<CellResult> RunAsync(
        int concurrency,
        TimeSpan warmUp,
        TimeSpan duration,
        long maxOperations,
        Func<long, CancellationToken, Task<bool>> operation)
    {
        var clock = Stopwatch.StartNew();
        var measureFrom = warmUp;
        var stopAt = warmUp + duration;
        long issued = -1;
        long errors = 0;
        string? firstError = null;
        var latencies = new List<double>[concurrency];
        // A hard stop well after the planned end, in case an operation hangs.
        using var hardStop = new CancellationTokenSource(stopAt + TimeSpan.FromSeconds(60));
        TimeSpan lastEnd = TimeSpan.Zero;
        var endLock = new object();

        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(4096);
            while (!hardStop.IsCancellationRequested && clock.Elapsed < stopAt)
            {
                var index = Interlocked.Increment(ref issued);
                if (index >= maxOperations)
                    break;
                var started = clock.Elapsed;
                bool ok;
                try
                {
                    ok = await operation(index, hardStop.Token);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    ok = false;
                    Interlocked.CompareExchange(ref firstError, e.GetType().Name + ": " + e.Message, null);
                }
                var ended = clock.Elapsed;
                if (started < measureFrom)
                    continue;
                if (ok)
                    mine.Add((ended - started).TotalMilliseconds);
                else
                    Interlocked.Increment(ref errors);
                lock (endLock)
                {
                    if (ended > lastEnd)
                        lastEnd = ended;
                }
            }
        })).ToList();
        await Task.WhenAll(workers);

        var all = latencies.Where(l => l is not null).SelectMany(l => l).ToArray();
        Array.Sort(all);
        var seconds = Math.Max(0.001, (lastEnd - measureFrom).TotalSeconds);
        return new CellResult(
            concurrency,
            all.Length,
            errors,
            Math.Round(seconds, 2),
            Math.Round(all.Length / seconds, 1),
            Math.Round(Percentile(all, 0.50), 2),
            Math.Round(Percentile(all, 0.99), 2),
            firstError);
    }

    /// <summary>Nearest-rank percentile of sorted values; 0 for none.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
            return 0;
        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
