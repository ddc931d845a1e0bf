namespace Neena.Engine.Retrieval;

/// <summary>Settings of catalogue retrieval (configuration section <c>Retrieval</c>).</summary>
public sealed class RetrievalOptions
{
    public const string SectionName = "Retrieval";

    /// <summary>
    /// Embed changed task definitions in the background right after start-up, so the first plan does not wait for it.
    /// With nothing changed this reads the stored hashes and never loads the model. When off, the first plan embeds.
    /// </summary>
    public bool EmbedAtStartup { get; set; } = true;
}
