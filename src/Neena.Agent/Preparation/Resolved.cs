using System.Text.Json.Nodes;

namespace Neena.Agent.Preparation;

/// <summary>A parameter's value and where it came from (shown as the explanation in <c>task_prep_answer</c>).</summary>
internal sealed record Resolved(JsonNode? Value, string Explanation);
