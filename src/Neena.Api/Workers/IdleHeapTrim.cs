using System.Runtime;
using Microsoft.Extensions.Options;

namespace Neena.Api.Workers;

public sealed class IdleHeapTrimOptions
{
    public const string SectionName = "Memory:IdleTrim";

    /// <summary>Set to false to leave the GC's heap as the last collection left it, however idle the server is.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Seconds without a single garbage collection (the process allocated less than one gen0 budget) that count as idle.</summary>
    public double IdleSeconds { get; set; } = 5;

    /// <summary>MiB the GC's committed memory must have grown since the last trim (or start) before an idle server gives it back.</summary>
    public int ThresholdMb { get; set; } = 64;
}

/// <summary>
/// Gives back the heap a burst of work left committed once the server has gone idle. A run over megabytes of data (a 1 MB
/// request echoed by 10 tasks, an 11 MB read of it) allocates hundreds of MiB of large strings and buffers; the GC's last
/// collection happens in the middle of that work, while most of it is still referenced, and an idle process allocates
/// too little to collect again, so the heap stays committed at its peak (about +250 MiB of resident memory) for as long as
/// nothing else happens. When no collection at all has happened for <see cref="IdleHeapTrimOptions.IdleSeconds"/> and the
/// committed heap has grown by <see cref="IdleHeapTrimOptions.ThresholdMb"/> since the last trim, one aggressive, compacting
/// collection releases what is no longer used. Objects still referenced at a trim may die later without much allocation
/// (20 stalled live-event readers of that run hold about 60 MB until they are dropped), so while the heap stays
/// <see cref="IdleHeapTrimOptions.ThresholdMb"/> above the smallest it has been, the next idle period after at least
/// <see cref="ReTrimAllocation"/> more bytes were allocated trims again. A busy server collects all the time and is
/// never idle in this sense, so the request path never pays for it.
/// </summary>
internal sealed partial class IdleHeapTrim(IOptions<IdleHeapTrimOptions> options, ILogger<IdleHeapTrim> logger) : BackgroundService
{
    /// <summary>Allocation since the last trim after which an idle heap still far above its smallest is trimmed again: some work happened, so some of what the last trim kept may be garbage now.</summary>
    internal const long ReTrimAllocation = 1024 * 1024;

    private const long MaxReTrimAllocation = 1L << 40;

    /// <summary>Trims done since start, for tests and diagnostics.</summary>
    public int Trims => Volatile.Read(ref _trims);

    private int _trims;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
            return;
        var threshold = settings.ThresholdMb * 1024L * 1024L;
        var baseline = GC.GetGCMemoryInfo().TotalCommittedBytes;
        var smallest = baseline;
        var allocatedAtTrim = GC.GetTotalAllocatedBytes();
        var collections = GC.CollectionCount(0);
        var retrim = ReTrimAllocation;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.IdleSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = GC.CollectionCount(0);
                var committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
                var idle = now == collections;
                collections = now;
                smallest = Math.Min(smallest, committed);
                var grew = committed - baseline >= threshold;
                var again = committed - smallest >= threshold && GC.GetTotalAllocatedBytes() - allocatedAtTrim >= retrim;
                if (!idle || !(grew || again))
                {
                    // A heap that shrank on its own lowers the bar for the next trim.
                    baseline = Math.Min(baseline, committed);
                    continue;
                }

                GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                baseline = GC.GetGCMemoryInfo().TotalCommittedBytes;
                // A trim after mere allocation that gave back little found the heap live, not garbage: the next one waits for
                // twice as much allocation, or a server whose live data stays far above its smallest, allocating a little
                // between idle periods, would collect aggressively at every one of them.
                retrim = !grew && committed - baseline < threshold / 4 ? Math.Min(retrim * 2, MaxReTrimAllocation) : ReTrimAllocation;
                collections = GC.CollectionCount(0);
                allocatedAtTrim = GC.GetTotalAllocatedBytes();
                Interlocked.Increment(ref _trims);
                LogTrimmed(committed / (1024 * 1024), baseline / (1024 * 1024));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Idle: the GC heap went from {BeforeMb} MiB committed to {AfterMb} MiB")]
    private partial void LogTrimmed(long beforeMb, long afterMb);
}
