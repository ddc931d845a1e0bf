using System.Text.Json;
using System.Text.Json.Nodes;

namespace Neena.Agent.LanguageModel;

/// <summary>
/// What the model answered: the raw text, the JSON it holds (null with <see cref="ParseError"/> when it holds none:
/// an invalid answer, worth one re-ask) and the tokens it cost.
/// </summary>
public sealed record ModelAnswer(string Text, JsonNode? Json, string? ParseError, TokenUsage Usage)
{
    /// <summary>The model that answered, as the endpoint named it (else as configured).</summary>
    public string? Model { get; init; }

    internal static ModelAnswer From(string? text, TokenUsage usage)
    {
        text ??= "";
        var json = StripCodeFence(text.Trim());
        if (json.Length == 0)
            return new ModelAnswer(text, null, "the answer was empty", usage);
        try
        {
            var node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
            return node is JsonObject
                ? new ModelAnswer(text, node, null, usage)
                : new ModelAnswer(text, null, "the answer is not a JSON object", usage);
        }
        catch (JsonException e)
        {
            return new ModelAnswer(text, null, "the answer is not valid JSON: " + e.Message, usage);
        }
    }

    /// <summary>Models served without enforced structured output often wrap JSON in a Markdown code block.</summary>
    private static string StripCodeFence(string text)
    {
        if (!text.StartsWith("```", StringComparison.Ordinal))
            return text;
        var firstLineEnd = text.IndexOf('\n', StringComparison.Ordinal);
        var closing = text.LastIndexOf("```", StringComparison.Ordinal);
        return firstLineEnd < 0 || closing <= firstLineEnd ? text : text[(firstLineEnd + 1)..closing].Trim();
    }
}
