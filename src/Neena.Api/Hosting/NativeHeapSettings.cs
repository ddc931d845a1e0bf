using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Neena.Api.Hosting;

/// <summary>
/// Fixes glibc malloc's mmap threshold at 64 KiB as soon as the server's assembly loads, so that large native blocks (most
/// likely the JIT's 64 KiB scratch slabs, allocated by whichever thread compiles) are mapped and unmapped instead of being
/// carved out of malloc arenas that keep them once freed. glibc raises its threshold dynamically up to 32 MiB each time a
/// mapped block is freed, after which such blocks stayed in per-thread arenas: 20–30 MiB of the server's resident memory
/// at the 64-client peak of the benchmark's reads section. Measured with <c>MALLOC_MMAP_THRESHOLD_=65536</c>, which this
/// sets from inside the process: the arenas' resident memory 23 → 8 MiB, the reads section's peak RSS 235–245 → 231 MiB,
/// CPU per request unchanged within noise. See docs/performance.md, "Memory".
/// </summary>
/// <remarks>
/// An operator who sets <c>MALLOC_MMAP_THRESHOLD_</c> (or any <c>GLIBC_TUNABLES</c>) keeps their own setting: nothing is
/// changed then. Not Linux or not glibc (musl has no <c>mallopt</c>): nothing is changed either.
/// </remarks>
internal static class NativeHeapSettings
{
    /// <summary>glibc's <c>M_MMAP_THRESHOLD</c> parameter of <c>mallopt</c>.</summary>
    private const int MmapThresholdParameter = -3;

    public const int MmapThresholdBytes = 64 * 1024;

    /// <summary>Whether this process fixed the threshold (false where it was left alone), for the startup log.</summary>
    public static bool Applied { get; private set; }

#pragma warning disable CA2255 // Module initializer on purpose: the JIT and the runtime malloc from the first moment, before Main.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is { Length: > 0 }
            || Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is { Length: > 0 })
            return;
        try
        {
            Applied = mallopt(MmapThresholdParameter, MmapThresholdBytes) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc: its allocator has its own policy.
        }
    }

    [DllImport("libc", ExactSpelling = true)]
#pragma warning disable SYSLIB1054, CA5392 // Plain int marshalling; libc is resolved by the loader, not from a path.
    private static extern int mallopt(int param, int value);
#pragma warning restore SYSLIB1054, CA5392
}
