using System.Diagnostics;
using System.Text;
using Neena.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Neena.IntegrationTests.Platform;

/// <summary>
/// The served document is accepted by third-party tools (issue 22): Spectral (<c>spectral:oas</c>) and Redocly
/// (<c>recommended</c>) find no error, openapi-typescript generates types with its default settings, and a strict
/// TypeScript program written against those types compiles. The tools are pinned in tools/openapi-lint (package-lock.json)
/// and run by its lint.mjs, in one chain; Node.js and npm must be installed (.ci/run installs them).
/// </summary>
public sealed class OpenApiLintTests(NeenaFactory factory, ITestOutputHelper output) : IClassFixture<NeenaFactory>
{
    [Fact]
    public async Task ServedDocument_PassesSpectralRedoclyOpenapiTypescriptAndStrictTsc()
    {
        var tools = Path.Combine(RepositoryRoot(), "tools", "openapi-lint");
        var json = await factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json");
        var document = Path.Combine(Path.GetTempPath(), $"neena-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(document, json);
        try
        {
            if (!Directory.Exists(Path.Combine(tools, "node_modules")))
            {
                var install = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], tools, TimeSpan.FromMinutes(10));
                Assert.True(install.ExitCode == 0, $"npm ci in {tools} failed:\n{install.Output}");
            }

            var started = Stopwatch.StartNew();
            var lint = await RunAsync("node", ["lint.mjs", document], tools, TimeSpan.FromMinutes(5));
            output.WriteLine($"lint.mjs took {started.Elapsed.TotalSeconds:0.0} s:\n{lint.Output}");
            Assert.True(lint.ExitCode == 0, $"The served OpenAPI document is refused (node lint.mjs, exit {lint.ExitCode}):\n{lint.Output}");
        }
        finally
        {
            File.Delete(document);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Neena.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No Neena.sln above {AppContext.BaseDirectory}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string command, string[] args, string directory, TimeSpan limit)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"`{command}` is not installed: the OpenAPI lint needs Node.js 20+ and npm (.ci/run installs them with apt).", e);
        }
        using (process)
        {
            var text = new StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (text) text.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (text) text.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var timeout = new CancellationTokenSource(limit);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"`{command} {string.Join(' ', args)}` did not finish within {limit}:\n{text}");
            }
            process.WaitForExit();
            lock (text)
                return (process.ExitCode, text.ToString());
        }
    }
}
