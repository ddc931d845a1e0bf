using System.Text.Json;
using Neena.Domain.Common;

namespace Neena.Agent.Preparation;

internal static class PreparationJson
{
    /// <summary>Compact and readable (no \u escapes of non-ASCII): how values appear in prompts and explanations.</summary>
    public static readonly JsonSerializerOptions Compact = new() { MaxDepth = JsonDepth.MaxDocument, WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
