using System.Text.Json.Nodes;
using Neena.Domain.Catalogue;

namespace Neena.Engine.Preparation;

/// <summary>One chat message of a preparation prompt (<c>role</c> is <c>system</c> or <c>user</c>).</summary>
public sealed record PromptMessage(string Role, string Content);

/// <summary>A value the model proposes for one parameter, with its reasoning.</summary>
public sealed record LanguageModelValue(string Name, JsonNode? Value, string? Explanation);

/// <summary>What the model answered; parameters it could not fill are simply absent.</summary>
public sealed record LanguageModelAnswer(IReadOnlyList<LanguageModelValue> Parameters);

/// <summary>
/// Fills task parameters that explicit bindings left open (step 2 of preparation). None is registered by default; when
/// an implementation is registered in DI the engine asks it before falling back to name matching.
/// </summary>
public interface ILanguageModel
{
    /// <summary>
    /// Answers <paramref name="messages"/> (the recorded prompt) for the <paramref name="unresolved"/> parameters.
    /// Null means the model had no answer. Exceptions are treated like a task's: transient ones
    /// (<see cref="HttpRequestException"/>, <see cref="Neena.Integrations.TransientTaskException"/>, timeouts) are retried.
    /// </summary>
    Task<LanguageModelAnswer?> CompleteAsync(IReadOnlyList<PromptMessage> messages, IReadOnlyList<ParameterDefinition> unresolved, CancellationToken cancellationToken);
}
