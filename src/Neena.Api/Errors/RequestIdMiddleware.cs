using Serilog.Context;

namespace Neena.Api.Errors;

/// <summary>
/// Gives every request an id (the caller's <c>X-Request-Id</c> when it is sane, else a new one), answers it in
/// the <c>X-Request-Id</c> header and attaches it to every log line of the request.
/// </summary>
internal sealed class RequestIdMiddleware(RequestDelegate next)
{
    public const string Header = "X-Request-Id";

    public async Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[Header].ToString();
        var requestId = IsSafe(incoming) ? incoming : Guid.CreateVersion7().ToString("N");
        context.TraceIdentifier = requestId;
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[Header] = requestId;
            return Task.CompletedTask;
        });
        using (LogContext.PushProperty("RequestId", requestId))
            await next(context);
    }

    // Echoing arbitrary header text into logs and responses invites log forging; accept only short token-like ids.
    private static bool IsSafe(string value) =>
        value.Length is > 0 and <= 128 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}

/// <summary>
/// Refuses bodies over the contract's 1 MiB with 413: at once when <c>Content-Length</c> says so, else while the body is
/// read. The limit counts the body's own bytes: Kestrel's counts the bytes on the wire, chunk sizes and line ends of a
/// chunked body included (a 1,048,000-byte body in 4 KiB chunks carries 2 KiB of framing and was refused), so a body
/// without a length gets a wire allowance from Kestrel and its decoded bytes are counted here.
/// </summary>
internal sealed class BodySizeLimit(RequestDelegate next)
{
    public const long MaxBytes = 1024 * 1024;
    public const string Detail = "Request body too large (limit 1 MiB)";

    /// <summary>
    /// What Kestrel may read of a body without a length: room for the framing of any body within <see cref="MaxBytes"/>
    /// (one-byte chunks take six bytes each), while a flood of framing is still cut off.
    /// </summary>
    public const long MaxWireBytes = 16 * MaxBytes;

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBytes)
        {
            await ErrorWriter.WriteDetailAsync(context, StatusCodes.Status413PayloadTooLarge, Detail);
            return;
        }
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            if (context.Request.ContentLength is null && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>() is { CanHaveBody: true })
            {
                limit.MaxRequestBodySize = MaxWireBytes;
                context.Request.Body = new CountedBody(context.Request.Body);
            }
            else
            {
                limit.MaxRequestBodySize = MaxBytes;
            }
        }
        await next(context);
    }

    /// <summary>The request body, refused (as Kestrel refuses an oversized one) once more than <see cref="MaxBytes"/> of it were read.</summary>
    private sealed class CountedBody(Stream inner) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            if (_read > MaxBytes)
                throw new BadHttpRequestException(Detail, StatusCodes.Status413PayloadTooLarge);
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
