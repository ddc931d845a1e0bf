using Neena.Api.Hosting;

namespace Neena.UnitTests.Hosting;

public sealed class NativeHeapSettingsTests
{
    [Fact]
    public void OnGlibcLinux_TheMmapThresholdIsFixedWhenTheServerAssemblyLoads()
    {
        // The module initializer ran when this test touched the type; the test host sets no malloc variables.
        if (!OperatingSystem.IsLinux() || !File.Exists("/lib/x86_64-linux-gnu/libc.so.6"))
            return; // glibc on x86-64 Linux only
        Assert.Null(Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_"));

        Assert.True(NativeHeapSettings.Applied, "mallopt(M_MMAP_THRESHOLD) was not called or failed: is libc resolved?");
    }
}
