using System.Buffers;

namespace Neena.Persistence.Sql;

/// <summary>
/// Bytes written in segments below the large-object heap's threshold, read back as a seekable stream (for a
/// <c>bytea</c> parameter). A document of megabytes written to one growing array allocates each doubling on the
/// large-object heap (about twice the document in all); here only a single write larger than a segment gets a segment
/// of its own size.
/// </summary>
internal sealed class SegmentedBuffer : IBufferWriter<byte>
{
    /// <summary>Below the 85,000 bytes from which the GC allocates an array on the large-object heap.</summary>
    internal const int SegmentSize = 64 * 1024;

    private readonly List<(byte[] Array, int Length)> _segments = [];
    private byte[] _current = [];
    private int _used;

    public void Advance(int count)
    {
        if (count < 0 || _used + count > _current.Length)
            throw new ArgumentOutOfRangeException(nameof(count));
        _used += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _current.AsMemory(_used);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _current.AsSpan(_used);
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_current.Length - _used >= needed)
            return;
        if (_used > 0)
            _segments.Add((_current, _used));
        _current = new byte[Math.Max(needed, SegmentSize)];
        _used = 0;
    }

    /// <summary>The bytes written so far, from the start (the buffer is not written to while the stream is read).</summary>
    public Stream AsStream() => new Reader([.. _segments, (_current, _used)]);

    private sealed class Reader((byte[] Array, int Length)[] segments) : Stream
    {
        private readonly long _length = segments.Sum(s => (long)s.Length);
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => _length;

        public override long Position
        {
            get => _position;
            set => _position = value >= 0 && value <= _length ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var copied = 0;
            long start = 0;
            foreach (var (array, length) in segments)
            {
                if (copied == buffer.Length)
                    break;
                var at = _position - start;
                start += length;
                if (at >= length)
                    continue;
                var take = (int)Math.Min(length - at, buffer.Length - copied);
                array.AsSpan((int)at, take).CopyTo(buffer[copied..]);
                copied += take;
                _position += take;
            }
            return copied;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
