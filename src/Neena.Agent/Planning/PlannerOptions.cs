namespace Neena.Agent.Planning;

/// <summary>Settings of flow generation (configuration section <c>Planner</c>).</summary>
public sealed class PlannerOptions
{
    public const string SectionName = "Planner";

    /// <summary>How many of the task definitions most similar to the request are the planner's candidates.</summary>
    public int Candidates { get; set; } = 8;

    /// <summary>
    /// Without a model: a candidate is used only when its cosine similarity to the request reaches this floor and
    /// <see cref="RelativeThreshold"/> of the best candidate's; below the floor nothing fits the request.
    /// </summary>
    public double SimilarityThreshold { get; set; } = 0.2;

    /// <summary>Without a model: the share of the best candidate's similarity a further candidate must reach.</summary>
    public double RelativeThreshold { get; set; } = 0.7;

    public string? Validate() =>
        Candidates is < 1 or > 50 ? "Planner:Candidates must be between 1 and 50."
        : !(SimilarityThreshold is >= -1 and <= 1) ? "Planner:SimilarityThreshold must be between -1 and 1."
        : !(RelativeThreshold is >= 0 and <= 1) ? "Planner:RelativeThreshold must be between 0 and 1."
        : null;
}
