using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Neena.IntegrationTests.Infrastructure;

/// <summary>Requests whose body goes out in chunks of a chosen size, written to a socket as they are on the wire.</summary>
public static class ChunkedRequests
{
    /// <summary>Posts <paramref name="body"/> chunked (<paramref name="chunkSize"/> bytes a chunk) and answers the status and the whole answer's text.</summary>
    public static async Task<(int Status, string Text)> PostAsync(Uri server, string path, IEnumerable<KeyValuePair<string, string>> headers, byte[] body, int chunkSize = 4096)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var head = new StringBuilder($"POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n");
        foreach (var (name, value) in headers)
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(head.Append("\r\n").ToString()));
            for (var offset = 0; offset < body.Length; offset += chunkSize)
            {
                var length = Math.Min(chunkSize, body.Length - offset);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{length:x}\r\n"));
                await stream.WriteAsync(body.AsMemory(offset, length));
                await stream.WriteAsync("\r\n"u8.ToArray());
            }
            await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
            await stream.FlushAsync();
        }
        catch (IOException)
        {
            // The server may answer (a 413) and close before the whole body is written.
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var answer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(answer, timeout.Token);
        }
        catch (IOException)
        {
            // A reset after the answer was written (the server refused before reading everything) is fine: the answer counts.
        }
        var text = Encoding.UTF8.GetString(answer.ToArray());
        var status = text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(text.AsSpan(9, 3), CultureInfo.InvariantCulture) : 0;
        return (status, text);
    }
}
