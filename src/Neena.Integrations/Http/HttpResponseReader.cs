using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Neena.Integrations.Http;

/// <summary>Reading an HTTP task's answer: the body within the size cap, as JSON when labelled so, else as text; the headers.</summary>
internal static class HttpResponseReader
{
    public static async Task<byte[]> ReadBodyAsync(HttpContent content, long maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is long declared && declared > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            // Reading one byte past the cap tells "exactly at the cap" from "over it" without buffering the rest.
            int read;
            while ((read = await stream.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, maxBytes + 1 - buffer.Length)), cancellationToken)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private static TaskFailedException TooLarge(long maxBytes) => new(string.Create(
        CultureInfo.InvariantCulture,
        $"The response is larger than {maxBytes} bytes ({HttpIntegrationOptions.SectionName}:MaxResponseBytes)."));

    public static (JsonNode? Json, string? Text) Interpret(MediaTypeHeaderValue? contentType, byte[] body)
    {
        var mediaType = contentType?.MediaType ?? "";
        var isJson = mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
        if (isJson && body.Length > 0)
        {
            try
            {
                return (JsonNode.Parse(body), null);
            }
            catch (JsonException)
            {
                // A server that labels non-JSON as JSON still produced a body the flow may want to see.
            }
        }

        return (null, DecodeText(contentType?.CharSet, body));
    }

    private static string DecodeText(string? charset, byte[] body)
    {
        var encoding = Encoding.UTF8;
        if (!string.IsNullOrWhiteSpace(charset))
        {
            try
            {
                encoding = Encoding.GetEncoding(charset.Trim('"', '\'', ' '));
            }
            catch (ArgumentException)
            {
                // Unknown charsets fall back to UTF-8, which the vast majority of text on the web is anyway.
            }
        }

        return encoding.GetString(body);
    }

    public static Dictionary<string, string> CollectHeaders(HttpResponseMessage response)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
        {
            headers[name] = string.Join(", ", values);
        }

        return headers;
    }
}
