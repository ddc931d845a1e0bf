using System.Runtime.InteropServices;
using static Neena.Agent.Retrieval.OnnxWire;

namespace Neena.Agent.Retrieval;

/// <summary>
/// Rewrites an fp32 ONNX model into one with int8 weights, as ONNX Runtime's own dynamic quantisation would: every
/// MatMul whose B is a float initializer becomes a <c>com.microsoft.DynamicQuantizeMatMul</c> (activations quantised at
/// run time, weights int8, symmetric, one scale per output column), and a large embedding table read by Gather becomes
/// an int8 table with one scale per row, dequantised after the Gather (Gather, Cast, Mul). Everything else is copied as
/// it is. The model is walked on disk one field at a time and each weight is read alone, so the rewrite itself never
/// holds more than one table row or one weight matrix (at most a few MB) beside what it writes.
/// </summary>
internal static class ModelQuantizer
{
    /// <summary>Names the scheme in the cached file's name: a change to the rewrite must change it.</summary>
    public const string Scheme = "int8-v1";

    private const string MicrosoftDomain = "com.microsoft";

    // Gather tables at least this large (elements) are quantised: the word table (30,522 × 384), not the position table.
    private const long LargeTable = 1L << 20;

    private const int NodeField = 1, InitializerField = 5, GraphInputField = 11, GraphOutputField = 12;

    public static void Quantize(string source, string target)
    {
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var top = Fields(input, 0, input.Length);
        var graph = top.Single(f => f is { Number: 7, WireType: Delimited });
        var graphFields = Fields(input, graph.PayloadStart, graph.End);

        var nodes = new Dictionary<int, Node>();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var boundary = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < graphFields.Count; i++)
        {
            var field = graphFields[i];
            if (field.WireType != Delimited)
                continue;
            if (field.Number == NodeField)
                nodes[i] = Node.Parse(Read(input, field.PayloadStart, field.PayloadLength));
            else if (field.Number == InitializerField && Tensor.Scan(input, field) is var tensor)
                tensors[tensor.Name] = tensor;
            else if (field.Number is GraphInputField or GraphOutputField)
                boundary.Add(ValueInfoName(Read(input, field.PayloadStart, field.PayloadLength)));
        }

        var uses = nodes.Values
            .SelectMany(n => n.Inputs.Select((name, index) => (name, n, index)))
            .ToLookup(u => u.name, u => (Node: u.n, Index: u.index), StringComparer.Ordinal);
        var matrices = new HashSet<string>(StringComparer.Ordinal);
        var tables = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (!tensor.IsRawFloat || tensor.Dims.Length != 2 || boundary.Contains(name) || !uses[name].Any())
                continue;
            if (uses[name].All(u => u.Node is { OpType: "MatMul", Domain: "" } && u.Index == 1))
                matrices.Add(name);
            else if (tensor.Elements >= LargeTable && uses[name].All(u => u.Node is { OpType: "Gather", Domain: "", Axis: 0 } && u.Index == 0))
                tables.Add(name);
        }
        if (matrices.Count == 0 && tables.Count == 0)
            throw new InvalidDataException("The model has no float weights to quantise.");

        var pieces = new List<Piece>();
        var buffers = new Buffers();
        for (var i = 0; i < graphFields.Count; i++)
        {
            var field = graphFields[i];
            if (nodes.TryGetValue(i, out var node) && node.Inputs.Length > 1 && matrices.Contains(node.Inputs[1]) && node.OpType == "MatMul")
            {
                var b = node.Inputs[1];
                pieces.Add(Bytes(w => WriteNode(w, node.Name, "DynamicQuantizeMatMul", MicrosoftDomain,
                    [node.Inputs[0], b + "_quantized", b + "_scale", b + "_zero_point"], node.Outputs)));
            }
            else if (nodes.TryGetValue(i, out node) && node.OpType == "Gather" && tables.Contains(node.Inputs[0]))
            {
                string table = node.Inputs[0], gathered = node.Outputs[0];
                pieces.Add(Bytes(w =>
                {
                    WriteNode(w, node.Name + "_quantized", "Gather", "", [table + "_quantized", node.Inputs[1]], [gathered + "_quantized"]);
                    WriteNode(w, node.Name + "_scale", "Gather", "", [table + "_scale", node.Inputs[1]], [gathered + "_scale"]);
                    WriteNode(w, node.Name + "_cast", "Cast", "", [gathered + "_quantized"], [gathered + "_int"], to: Float);
                    WriteNode(w, node.Name, "Mul", "", [gathered + "_int", gathered + "_scale"], [gathered]);
                }));
            }
            else if (field.Number == InitializerField && field.WireType == Delimited && Tensor.Scan(input, field) is var tensor
                     && (matrices.Contains(tensor.Name) || tables.Contains(tensor.Name)))
            {
                if (matrices.Contains(tensor.Name))
                    pieces.AddRange(QuantizeMatrix(tensor, buffers));
                else
                    pieces.AddRange(QuantizeTable(tensor));
            }
            else
            {
                pieces.Add(new Piece(field.End - field.Start, (i, o) => Copy(i, o, field.Start, field.End - field.Start)));
            }
        }

        using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        var hasMicrosoft = false;
        foreach (var field in top.Where(f => f.Number != 7))
        {
            if (field is { Number: 8, WireType: Delimited })
                hasMicrosoft |= Fields(Read(input, field.PayloadStart, field.PayloadLength)).Any(f => f.Number == 1 && String(f.Payload) == MicrosoftDomain);
            Copy(input, output, field.Start, field.End - field.Start);
        }
        if (!hasMicrosoft)
            WriteMessageField(output, 8, m => { WriteStringField(m, 1, MicrosoftDomain); WriteVarintField(m, 2, 1); });
        WriteTag(output, 7, Delimited);
        WriteVarint(output, (ulong)pieces.Sum(p => p.Length));
        foreach (var piece in pieces)
        {
            var before = output.Position;
            piece.Write(input, output);
            if (output.Position - before != piece.Length)
                throw new InvalidOperationException("A rewritten field of the model is not the length it was sized at.");
        }
    }

    private sealed record Piece(long Length, Action<Stream, Stream> Write);

    private static Piece Bytes(Action<Stream> build)
    {
        using var buffer = new MemoryStream();
        build(buffer);
        var bytes = buffer.ToArray();
        return new Piece(bytes.Length, (_, o) => o.Write(bytes));
    }

    /// <summary>B [K, N] as int8 with one symmetric scale per column (the output channel), zero points all 0.</summary>
    private static IEnumerable<Piece> QuantizeMatrix(Tensor tensor, Buffers buffers)
    {
        int rows = checked((int)tensor.Dims[0]), columns = checked((int)tensor.Dims[1]);
        var scales = new float[columns];
        yield return new Piece(TensorFieldLength(tensor.Name + "_quantized", tensor.Dims, Int8, rows * columns), (input, output) =>
        {
            var raw = buffers.Raw(tensor.RawLength);
            input.Position = tensor.RawStart;
            input.ReadExactly(raw);
            var weights = MemoryMarshal.Cast<byte, float>(raw);
            for (var k = 0; k < rows; k++)
                for (var n = 0; n < columns; n++)
                    scales[n] = Math.Max(scales[n], Math.Abs(weights[k * columns + n]));
            for (var n = 0; n < columns; n++)
                scales[n] = scales[n] > 0 ? scales[n] / 127f : 1f;
            var quantized = buffers.Quantized(rows * columns);
            for (var k = 0; k < rows; k++)
                for (var n = 0; n < columns; n++)
                    quantized[k * columns + n] = Quantize(weights[k * columns + n], scales[n]);
            WriteTensorStart(output, tensor.Name + "_quantized", tensor.Dims, Int8, quantized.Length);
            output.Write(quantized);
        });
        // Sized now, written after the matrix, whose pass fills the scales.
        yield return new Piece(TensorFieldLength(tensor.Name + "_scale", [columns], Float, columns * sizeof(float)), (_, output) =>
        {
            WriteTensorStart(output, tensor.Name + "_scale", [columns], Float, columns * sizeof(float));
            output.Write(MemoryMarshal.AsBytes(scales.AsSpan()));
        });
        yield return new Piece(TensorFieldLength(tensor.Name + "_zero_point", [columns], Int8, columns), (_, output) =>
        {
            WriteTensorStart(output, tensor.Name + "_zero_point", [columns], Int8, columns);
            output.Write(new byte[columns]);
        });
    }

    /// <summary>A table [V, D] as int8 rows with one scale per row (kept [V, 1], so the gathered scales broadcast), read a row at a time.</summary>
    private static IEnumerable<Piece> QuantizeTable(Tensor tensor)
    {
        long rows = tensor.Dims[0], columns = tensor.Dims[1];
        var scales = new float[rows];
        yield return new Piece(TensorFieldLength(tensor.Name + "_quantized", tensor.Dims, Int8, rows * columns), (input, output) =>
        {
            WriteTensorStart(output, tensor.Name + "_quantized", tensor.Dims, Int8, rows * columns);
            var row = new byte[columns * sizeof(float)];
            var quantized = new byte[columns];
            input.Position = tensor.RawStart;
            for (var r = 0; r < rows; r++)
            {
                input.ReadExactly(row);
                var values = MemoryMarshal.Cast<byte, float>(row);
                var max = 0f;
                foreach (var v in values)
                    max = Math.Max(max, Math.Abs(v));
                var scale = scales[r] = max > 0 ? max / 127f : 1f;
                for (var c = 0; c < values.Length; c++)
                    quantized[c] = Quantize(values[c], scale);
                output.Write(quantized);
            }
        });
        yield return new Piece(TensorFieldLength(tensor.Name + "_scale", [rows, 1], Float, rows * sizeof(float)), (_, output) =>
        {
            WriteTensorStart(output, tensor.Name + "_scale", [rows, 1], Float, rows * sizeof(float));
            output.Write(MemoryMarshal.AsBytes(scales.AsSpan()));
        });
    }

    /// <summary>One weight buffer and one output buffer, grown to the largest matrix and reused, so the rewrite leaves no garbage.</summary>
    private sealed class Buffers
    {
        private byte[] _raw = [], _quantized = [];

        public Span<byte> Raw(long length) => Grow(ref _raw, length);

        public Span<byte> Quantized(long length) => Grow(ref _quantized, length);

        private static Span<byte> Grow(ref byte[] buffer, long length)
        {
            if (buffer.Length < length)
                buffer = new byte[length];
            return buffer.AsSpan(0, checked((int)length));
        }
    }

    private static byte Quantize(float value, float scale) => (byte)(sbyte)Math.Clamp(MathF.Round(value / scale), -127f, 127f);

    private static byte[] TensorHeader(string name, long[] dims, int dataType, long rawLength)
    {
        using var message = new MemoryStream();
        foreach (var dim in dims)
            WriteVarintField(message, 1, dim);
        WriteVarintField(message, 2, dataType);
        WriteStringField(message, 8, name);
        WriteTag(message, 9, Delimited);
        WriteVarint(message, (ulong)rawLength);
        return message.ToArray();
    }

    private static long TensorFieldLength(string name, long[] dims, int dataType, long rawLength)
    {
        var message = TensorHeader(name, dims, dataType, rawLength).Length + rawLength;
        return 1 + VarintSize((ulong)message) + message;
    }

    /// <summary>An initializer field up to its raw data, which the caller writes next (exactly <paramref name="rawLength"/> bytes).</summary>
    private static void WriteTensorStart(Stream graph, string name, long[] dims, int dataType, long rawLength)
    {
        var header = TensorHeader(name, dims, dataType, rawLength);
        WriteTag(graph, InitializerField, Delimited);
        WriteVarint(graph, (ulong)(header.Length + rawLength));
        graph.Write(header);
    }

    private static void WriteNode(Stream graph, string name, string opType, string domain, string[] inputs, string[] outputs, int? to = null) =>
        WriteMessageField(graph, NodeField, m =>
        {
            foreach (var i in inputs)
                WriteStringField(m, 1, i);
            foreach (var o in outputs)
                WriteStringField(m, 2, o);
            WriteStringField(m, 3, name);
            WriteStringField(m, 4, opType);
            if (to is { } type)
                WriteMessageField(m, 5, a => { WriteStringField(a, 1, "to"); WriteVarintField(a, 3, type); WriteVarintField(a, 20, 2); });
            if (domain.Length > 0)
                WriteStringField(m, 7, domain);
        });

    private static void Copy(Stream input, Stream output, long start, long length)
    {
        var buffer = new byte[81920];
        input.Position = start;
        while (length > 0)
        {
            var read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, length));
            if (read == 0)
                throw new EndOfStreamException("The model ended inside a field.");
            output.Write(buffer, 0, read);
            length -= read;
        }
    }

    private static string ValueInfoName(byte[] valueInfo) =>
        Fields(valueInfo).Where(f => f.Number == 1).Select(f => String(f.Payload)).FirstOrDefault() ?? "";

    private sealed record Node(string Name, string OpType, string Domain, string[] Inputs, string[] Outputs, long Axis)
    {
        public static Node Parse(byte[] message)
        {
            List<string> inputs = [], outputs = [];
            string name = "", opType = "", domain = "";
            long axis = 0;
            foreach (var f in Fields(message))
            {
                switch (f.Number)
                {
                    case 1: inputs.Add(String(f.Payload)); break;
                    case 2: outputs.Add(String(f.Payload)); break;
                    case 3: name = String(f.Payload); break;
                    case 4: opType = String(f.Payload); break;
                    case 7: domain = String(f.Payload); break;
                    case 5:
                        var attribute = Fields(f.Payload).ToList();
                        if (attribute.Any(a => a.Number == 1 && String(a.Payload) == "axis"))
                            axis = (long)attribute.Where(a => a.Number == 3).Select(a => a.Value).FirstOrDefault();
                        break;
                }
            }
            // ai.onnx is written as either "" or its name.
            return new Node(name, opType, domain == "ai.onnx" ? "" : domain, [.. inputs], [.. outputs], axis);
        }
    }

    /// <summary>An initializer's small fields, and where its raw data lies in the file (not read).</summary>
    private sealed record Tensor(string Name, long[] Dims, int DataType, long RawStart, long RawLength, bool OtherData)
    {
        public long Elements => Dims.Aggregate(1L, (a, d) => a * d);

        public bool IsRawFloat => DataType == Float && !OtherData && RawLength == Elements * sizeof(float) && BitConverter.IsLittleEndian;

        public static Tensor Scan(Stream input, Field tensor)
        {
            List<long> dims = [];
            string name = "";
            int dataType = 0;
            long rawStart = 0, rawLength = -1;
            var otherData = false;
            foreach (var f in Fields(input, tensor.PayloadStart, tensor.End))
            {
                switch (f.Number)
                {
                    case 1 when f.WireType == Varint:
                        dims.AddRange(Fields(Read(input, f.Start, f.End - f.Start)).Select(d => (long)d.Value));
                        break;
                    case 1:
                        var packed = Read(input, f.PayloadStart, f.PayloadLength);
                        for (var offset = 0; offset < packed.Length;)
                            dims.Add((long)ReadVarint(packed, ref offset));
                        break;
                    case 2: dataType = (int)Fields(Read(input, f.Start, f.End - f.Start)).First().Value; break;
                    case 8: name = String(Read(input, f.PayloadStart, f.PayloadLength)); break;
                    case 9: (rawStart, rawLength) = (f.PayloadStart, f.PayloadLength); break;
                    case 3 or 4 or 5 or 6 or 7 or 10 or 11 or 13 or 14: otherData = true; break;
                }
            }
            return new Tensor(name, [.. dims], dataType, rawStart, rawLength, otherData);
        }
    }
}
