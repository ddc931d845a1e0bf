namespace Neena.Agent.LanguageModel;

/// <summary>Tokens a model request consumed, as the endpoint reported them (zero when it did not).</summary>
public sealed record TokenUsage(long PromptTokens, long CompletionTokens)
{
    public static TokenUsage None { get; } = new(0, 0);

    public long TotalTokens => PromptTokens + CompletionTokens;

    public TokenUsage Add(TokenUsage other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(PromptTokens + other.PromptTokens, CompletionTokens + other.CompletionTokens);
    }
}
