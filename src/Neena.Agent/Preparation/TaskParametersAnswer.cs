using System.ComponentModel;
using System.Text.Json.Nodes;

namespace Neena.Agent.Preparation;

/// <summary>
/// The shape of the model's answer in preparation (§6), and of <c>task_prep_answer</c>. Only its JSON schema is used:
/// answers are read as JSON and checked by <see cref="ModelAnswerValidator"/>, which phrases problems for the re-ask.
/// </summary>
internal sealed class TaskParametersAnswer
{
    public required IReadOnlyList<TaskParameterValue> Parameters { get; init; }
}

internal sealed class TaskParameterValue
{
    [Description("The parameter's name, exactly as listed.")]
    public required string Name { get; init; }

    [Description("The value, of the parameter's data type.")]
    public required JsonNode? Value { get; init; }

    [Description("Where the value comes from.")]
    public required string Explanation { get; init; }
}
