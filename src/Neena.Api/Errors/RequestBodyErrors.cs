using Microsoft.AspNetCore.Http.Features;

namespace Neena.Api.Errors;

/// <summary>
/// Kestrel reports most malformed bodies as <see cref="BadHttpRequestException"/> (a 400), but a chunk size that
/// overflows (<c>ffffffffffffffff</c>) surfaces as a bare <see cref="IOException"/>, and a client that vanishes
/// mid-body as a connection reset: both the client's doing, both a 500 without this. Any I/O failure while the
/// application reads the request body is therefore answered as the client's bad request. Kestrel's own
/// <see cref="BadHttpRequestException"/> (an <see cref="IOException"/> too) keeps its status, 413 for instance.
/// </summary>
internal sealed class RequestBodyErrors(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: true })
            context.Request.Body = new ClientBodyStream(context.Request.Body);
        return next(context);
    }

    private sealed class ClientBodyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return inner.Read(buffer, offset, count);
            }
            catch (IOException e) when (e is not BadHttpRequestException)
            {
                throw Refused(e);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            catch (IOException e) when (e is not BadHttpRequestException)
            {
                throw Refused(e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private static BadHttpRequestException Refused(IOException e) =>
            new("The request body could not be read: " + e.Message, StatusCodes.Status400BadRequest, e);
    }
}
