using System.Buffers;
using System.Net.ServerSentEvents;

namespace Neena.Api.RunEvents;

/// <summary>
/// One Server-Sent Event framed by .NET's <see cref="SseFormatter"/> (field names, data split at line breaks, the blank
/// line that ends it), as bytes the streamer writes under its slow-reader deadline. The stream's preamble
/// (<c>retry:</c> alone) and its heartbeat comments are the two frames the formatter cannot write: an item always has a
/// data field, which would deliver an empty event to an <c>EventSource</c>.
/// </summary>
internal static class SseFrame
{
    public static async ValueTask<ReadOnlyMemory<byte>> FormatAsync<T>(string eventType, T data, string? id, Action<T, IBufferWriter<byte>> writeData, CancellationToken cancellationToken)
    {
        using var frame = new MemoryStream();
        await SseFormatter.WriteAsync(One(new SseItem<T>(data, eventType) { EventId = id }), frame, (item, writer) => writeData(item.Data, writer), cancellationToken);
        return frame.GetBuffer().AsMemory(0, (int)frame.Length);
    }

    /// <summary>An event whose data is a line of text.</summary>
    public static ValueTask<ReadOnlyMemory<byte>> FormatAsync(string eventType, string data, CancellationToken cancellationToken) =>
        FormatAsync(eventType, data, null, static (text, writer) => System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, text, writer), cancellationToken);

    private static async IAsyncEnumerable<SseItem<T>> One<T>(SseItem<T> item)
    {
        await Task.CompletedTask;
        yield return item;
    }
}
