namespace Neena.Agent.Retrieval;

/// <summary>Settings of the sentence embedding model (configuration section <c>Embedding</c>).</summary>
public sealed class EmbeddingOptions
{
    public const string SectionName = "Embedding";

    /// <summary>
    /// Whether the model runs with int8 weights (<see cref="ModelQuantizer"/>): about 70 MB less resident memory, vectors
    /// within a cosine of 0.99 of the fp32 ones. False loads the package's fp32 model exactly as published. The stored
    /// catalogue vectors are keyed by the model's name, so changing this re-embeds the catalogue once.
    /// </summary>
    public bool Quantized { get; set; } = true;
}
