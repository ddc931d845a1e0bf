using System.Net;
using System.Net.Sockets;

namespace Neena.IntegrationTests.Infrastructure;

/// <summary>
/// A TCP relay to PostgreSQL whose traffic can be stalled: while stalled, connections stay open but no byte gets through
/// in either direction, as on a network partition or a frozen server. Statements sent meanwhile neither fail nor finish.
/// </summary>
public sealed class StallingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private TaskCompletionSource _flowing = NewGate(open: true);
    private Task _accepting = Task.CompletedTask;

    private StallingProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Starts relaying to the server of <paramref name="connectionString"/>; returns the proxy and the connection string through it.</summary>
    public static (StallingProxy Proxy, string ConnectionString) Start(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var proxy = new StallingProxy(builder.Host!, builder.Port);
        proxy._listener.Start();
        proxy._accepting = proxy.AcceptAsync();
        builder.Host = "127.0.0.1";
        builder.Port = proxy.Port;
        builder.Pooling = true;
        return (proxy, builder.ConnectionString);
    }

    public void Stall() => Interlocked.CompareExchange(ref _flowing, NewGate(open: false), _flowing);

    public void Resume() => _flowing.TrySetResult();

    private static TaskCompletionSource NewGate(bool open)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (open)
            gate.SetResult();
        return gate;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
                lock (_clients)
                    _clients.AddRange([client, server]);
                _ = PumpAsync(client.GetStream(), server.GetStream());
                _ = PumpAsync(server.GetStream(), client.GetStream());
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                await _flowing.Task.WaitAsync(_stop.Token);
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                    break;
                // A read that arrived just as the proxy stalled is held back too.
                await _flowing.Task.WaitAsync(_stop.Token);
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // Closed on either side, or the proxy stopped.
        }
        finally
        {
            from.Close();
            to.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Resume();
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_clients)
        {
            foreach (var client in _clients)
                client.Dispose();
        }
        _stop.Dispose();
    }
}
