using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Neena.Api.Workers;

namespace Neena.UnitTests.Operations;

[CollectionDefinition(nameof(IdleHeapTrimTests), DisableParallelization = true)]
public sealed class IdleHeapTrimAlone;

/// <summary>Alone in its collection: other tests allocating at the same time would make the process look busy.</summary>
[Collection(nameof(IdleHeapTrimTests))]
public sealed class IdleHeapTrimTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task AfterABurst_AnIdleProcessGivesTheHeapBack()
    {
        using var trim = Started(new IdleHeapTrimOptions { IdleSeconds = 1, ThresholdMb = 32 });
        try
        {
            // A burst like a large run's: large objects still referenced when the last collection runs, garbage after it.
            Burst();
            var peak = GC.GetGCMemoryInfo().TotalCommittedBytes;

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (trim.Trims == 0 && DateTime.UtcNow < deadline)
                await Task.Delay(250);

            Assert.True(trim.Trims > 0, "no trim while idle");
            var after = GC.GetGCMemoryInfo().TotalCommittedBytes;
            Assert.True(after < peak - 64 * MiB, $"committed {peak / MiB} → {after / MiB} MiB");
        }
        finally
        {
            await trim.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task WhatDiesAfterATrim_IsGivenBackAtTheNextIdlePeriodOnceSomethingWasAllocated()
    {
        using var trim = Started(new IdleHeapTrimOptions { IdleSeconds = 1, ThresholdMb = 32 });
        try
        {
            // Still referenced at the first trim (like stalled readers' buffers), dropped afterwards.
            var held = new System.Runtime.CompilerServices.StrongBox<List<byte[]>?>(Hold());
            GC.Collect();
            await WaitForTrimsAsync(trim, 1);
            var kept = GC.GetGCMemoryInfo().TotalCommittedBytes;
            held.Value = null;
            GC.KeepAlive(new byte[IdleHeapTrim.ReTrimAllocation + 1024]);

            await WaitForTrimsAsync(trim, 2);
            var after = GC.GetGCMemoryInfo().TotalCommittedBytes;
            Assert.True(after < kept - 64 * MiB, $"committed {kept / MiB} → {after / MiB} MiB");
        }
        finally
        {
            await trim.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task AHeapFoundLive_WaitsForTwiceTheAllocationBeforeTheNextTrim()
    {
        using var trim = Started(new IdleHeapTrimOptions { IdleSeconds = 1, ThresholdMb = 32 });
        try
        {
            // Live data the server keeps: every trim finds it referenced and gives back next to nothing.
            var held = Hold();
            GC.Collect();
            await WaitForTrimsAsync(trim, 1);
            GC.KeepAlive(new byte[IdleHeapTrim.ReTrimAllocation + 1024]);
            await WaitForTrimsAsync(trim, 2);

            // As much allocation again no longer counts: the next trim waits for twice as much.
            GC.KeepAlive(new byte[IdleHeapTrim.ReTrimAllocation + 1024]);
            await Task.Delay(3500);
            Assert.Equal(2, trim.Trims);
            GC.KeepAlive(new byte[IdleHeapTrim.ReTrimAllocation + 1024]);
            await WaitForTrimsAsync(trim, 3);
            GC.KeepAlive(held);
        }
        finally
        {
            await trim.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Disabled_NothingIsCollected()
    {
        using var trim = Started(new IdleHeapTrimOptions { Enabled = false, IdleSeconds = 1, ThresholdMb = 32 });
        Burst();
        await Task.Delay(2500);
        Assert.Equal(0, trim.Trims);
        await trim.StopAsync(CancellationToken.None);
    }

    /// <summary>
    /// A trim started on a heap given back first: the tests share the process's heap, and one that starts where an earlier
    /// test's garbage left the committed memory would measure its growth from there.
    /// </summary>
    private static IdleHeapTrim Started(IdleHeapTrimOptions options)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var trim = new IdleHeapTrim(Options.Create(options), NullLogger<IdleHeapTrim>.Instance);
        trim.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return trim;
    }

    private static async Task WaitForTrimsAsync(IdleHeapTrim trim, int trims)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (trim.Trims < trims && DateTime.UtcNow < deadline)
            await Task.Delay(250);
        Assert.True(trim.Trims >= trims, $"{trim.Trims} trim(s), expected {trims}");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void Burst()
    {
        var held = Hold();
        GC.Collect();
        GC.KeepAlive(held);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static List<byte[]> Hold()
    {
        var held = new List<byte[]>();
        for (var i = 0; i < 160; i++)
        {
            var block = new byte[MiB];
            Array.Fill(block, (byte)i); // touched, so resident
            held.Add(block);
        }
        return held;
    }
}
