using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Neena.Harness;

/// <summary>
/// A real Neena server: <c>dotnet Neena.Api.dll</c> as a child process on 127.0.0.1, against a given database. Every
/// instance is registered so that it is killed when the host process exits, whatever happened (see <see cref="ChildProcesses"/>).
/// </summary>
public sealed class NeenaServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail = new();
    private long _peakRssKb;

    private NeenaServerProcess(Process process, int port, string instanceId)
    {
        _process = process;
        Port = port;
        InstanceId = instanceId;
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
    }

    public int Port { get; }
    public string InstanceId { get; }
    public Uri BaseUrl { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>The server's <c>Neena.Api.dll</c>: next to the running assembly (it is a project reference), or NEENA_API_DLL.</summary>
    public static string LocateApiDll()
    {
        if (Environment.GetEnvironmentVariable("NEENA_API_DLL") is { Length: > 0 } configured)
            return Path.GetFullPath(configured);
        var candidate = Path.Combine(AppContext.BaseDirectory, "Neena.Api.dll");
        if (File.Exists(candidate) && File.Exists(Path.Combine(AppContext.BaseDirectory, "Neena.Api.runtimeconfig.json")))
            return candidate;
        throw new FileNotFoundException(
            $"Neena.Api.dll (with its runtimeconfig.json) was not found in {AppContext.BaseDirectory}; build the solution first or set NEENA_API_DLL.");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts a server and waits until <c>/health/ready</c> answers 200.</summary>
    public static async Task<NeenaServerProcess> StartAsync(
        string connectionString,
        string instanceId,
        IReadOnlyDictionary<string, string>? settings = null,
        int? port = null,
        TimeSpan? readyTimeout = null,
        Action<string>? log = null)
    {
        var dll = LocateApiDll();
        var chosenPort = port ?? FreePort();
        var start = BaseStartInfo(dll, connectionString);
        start.ArgumentList.Add(dll);
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{chosenPort}";
        start.Environment["Engine__InstanceId"] = instanceId;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            start.Environment[key] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the Neena server.");
        ChildProcesses.Register(process);
        var server = new NeenaServerProcess(process, chosenPort, instanceId);
        process.OutputDataReceived += (_, e) => server.Remember(e.Data, log);
        process.ErrorDataReceived += (_, e) => server.Remember(e.Data, log);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await server.WaitReadyAsync(readyTimeout ?? TimeSpan.FromSeconds(120));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Runs <c>create-api-key</c> and returns the key (the last line of stdout).</summary>
    public static async Task<string> CreateApiKeyAsync(string connectionString, string email, TimeSpan? timeout = null)
    {
        var dll = LocateApiDll();
        var start = BaseStartInfo(dll, connectionString);
        foreach (var arg in new[] { dll, "create-api-key", "--email", email })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the Neena CLI.");
        ChildProcesses.Register(process);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("create-api-key did not finish in time.");
        }
        var output = await stdout;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"create-api-key failed ({process.ExitCode}): {output}\n{await stderr}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 0 ? lines[^1] : throw new InvalidOperationException("create-api-key printed nothing.");
    }

    private static ProcessStartInfo BaseStartInfo(string dll, string connectionString)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["ConnectionStrings__Neena"] = connectionString;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["RateLimiting__PermitLimit"] = "0";
        // Request logs of every call would make the server's console the bottleneck of a load test.
        start.Environment["Serilog__MinimumLevel__Override__Serilog.AspNetCore.RequestLoggingMiddleware"] = "Warning";
        // No GC setting here: the server runs with the one its runtimeconfig ships (callers may pass DOTNET_gc* to compare).
        return start;
    }

    private void Remember(string? line, Action<string>? log)
    {
        if (line is null)
            return;
        _tail.Enqueue(line);
        while (_tail.Count > 200 && _tail.TryDequeue(out _))
        {
        }
        log?.Invoke($"[{InstanceId}] {line}");
    }

    /// <summary>The last lines the server wrote (stdout and stderr), for failure messages.</summary>
    public string RecentOutput => string.Join('\n', _tail);

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The Neena server exited with code {_process.ExitCode}:\n{RecentOutput}");
            if (await IsReadyAsync(http))
                return;
            await Task.Delay(200);
        }
        throw new TimeoutException($"The Neena server was not ready within {timeout.TotalSeconds} s:\n{RecentOutput}");
    }

    public async Task<bool> IsReadyAsync(HttpClient? client = null)
    {
        var http = client ?? new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri(BaseUrl, "health/ready"));
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
        finally
        {
            if (client is null)
                http.Dispose();
        }
    }

    /// <summary>Peak resident set size (VmHWM) in KiB, sampled now; remembered, so it survives the process.</summary>
    public long SamplePeakRssKb()
    {
        try
        {
            if (!_process.HasExited)
            {
                var status = $"/proc/{_process.Id}/status";
                long kb = 0;
                if (File.Exists(status))
                {
                    var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                    if (line is not null)
                        kb = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
                else
                {
                    _process.Refresh();
                    kb = _process.PeakWorkingSet64 / 1024;
                }
                _peakRssKb = Math.Max(_peakRssKb, kb);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or FormatException)
        {
            // The process ended between the check and the read: keep the last sample.
        }
        return _peakRssKb;
    }

    /// <summary>SIGKILL: the process gets no chance to release anything (a crash).</summary>
    public async Task KillAsync()
    {
        SamplePeakRssKb();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(cts.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
        ChildProcesses.Unregister(_process);
        _process.Dispose();
    }
}

/// <summary>Child processes that must not outlive this process: killed on exit, even after a failed test or Ctrl+C.</summary>
public static class ChildProcesses
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();
    private static int _hooked;

    public static void Register(Process process)
    {
        if (Interlocked.Exchange(ref _hooked, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
            Console.CancelKeyPress += (_, _) => KillAll();
        }
        Live[process.Id] = process;
    }

    public static void Unregister(Process process)
    {
        try
        {
            Live.TryRemove(process.Id, out _);
        }
        catch (InvalidOperationException)
        {
            // The process object was never started.
        }
    }

    public static void KillAll()
    {
        foreach (var (id, process) in Live)
        {
            try
            {
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already exited.
            }
            Live.TryRemove(id, out _);
        }
    }
}
