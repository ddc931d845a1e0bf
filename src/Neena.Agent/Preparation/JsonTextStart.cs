using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Neena.Agent.Preparation;

/// <summary>
/// The start of a value's JSON text and that text's length, as <c>ToJsonString(options)</c> would give them, without
/// making the text: the writer's UTF-8 is kept up to the characters asked for and only counted past them. Preparation
/// records and prompts keep at most a few thousand characters of values of up to megabytes (issue 23: the whole text of
/// each value, written to see whether it needed capping, was 19 MB of a 10-task run's large-object heap).
/// </summary>
internal sealed class JsonTextStart : IBufferWriter<byte>, IDisposable
{
    private readonly byte[] _kept;
    private readonly int _keepBytes;
    private int _keptLength;
    private byte[] _scratch;
    private bool _inScratch;
    private long _chars;

    private JsonTextStart(int keepChars)
    {
        // A UTF-16 character takes at most 3 bytes of UTF-8 (a surrogate pair 4 for 2), so this holds keepChars characters.
        _keepBytes = checked((keepChars * 3) + 4);
        _kept = ArrayPool<byte>.Shared.Rent(_keepBytes);
        _scratch = [];
    }

    /// <summary>The first <paramref name="keepChars"/> characters of the value's JSON (all of it when shorter) and its length in characters.</summary>
    public static (string Start, long Length) Of(JsonNode? value, JsonSerializerOptions options, int keepChars)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (value is null)
            return ("null", 4);
        using var text = new JsonTextStart(keepChars);
        using (var writer = new Utf8JsonWriter(text, new JsonWriterOptions { Encoder = options.Encoder, Indented = options.WriteIndented, MaxDepth = options.MaxDepth }))
            value.WriteTo(writer, options);
        var start = Encoding.UTF8.GetString(text._kept, 0, text._keptLength);
        return (start.Length <= keepChars ? start : start[..keepChars], text._chars);
    }

    public void Advance(int count)
    {
        var written = _inScratch ? _scratch.AsSpan(0, count) : _kept.AsSpan(_keptLength, count);
        foreach (var b in written)
        {
            // Every byte that is not a continuation byte starts a character; a 4-byte sequence is a surrogate pair.
            if ((b & 0xC0) != 0x80)
                _chars++;
            if (b >= 0xF0)
                _chars++;
        }
        if (!_inScratch)
        {
            _keptLength += count;
            return;
        }
        // A write larger than the room left went to the scratch buffer: its start still belongs to the kept text.
        var room = Math.Min(count, _keepBytes - _keptLength);
        written[..room].CopyTo(_kept.AsSpan(_keptLength));
        _keptLength += room;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        var needed = Math.Max(sizeHint, 1);
        _inScratch = _keepBytes - _keptLength < needed;
        if (!_inScratch)
            return _kept.AsMemory(_keptLength, _keepBytes - _keptLength);
        if (_scratch.Length < needed)
        {
            if (_scratch.Length > 0)
                ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 16 * 1024));
        }
        return _scratch;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_kept);
        if (_scratch.Length > 0)
            ArrayPool<byte>.Shared.Return(_scratch);
        _scratch = [];
    }
}
