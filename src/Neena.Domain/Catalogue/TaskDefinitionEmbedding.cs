namespace Neena.Domain.Catalogue;

/// <summary>
/// A task definition's sentence embedding, used to find the definitions most similar to a request. Global like the
/// catalogue. <see cref="TextHash"/> identifies the text (and model) the vector was computed from, so a definition is
/// embedded again only when what describes it changed.
/// </summary>
public sealed class TaskDefinitionEmbedding
{
    public Guid TaskDefinitionId { get; set; }

    /// <summary>SHA-256 (hex) of the embedding model's name and the embedded text.</summary>
    public required string TextHash { get; set; }

    /// <summary>Unit-length vector (<c>real[]</c>); cosine similarity is a dot product.</summary>
    public required float[] Vector { get; set; }

    public DateTime EmbeddedAt { get; set; }
}
