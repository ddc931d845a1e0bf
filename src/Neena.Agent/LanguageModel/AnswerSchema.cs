using System.Text.Json;
using Microsoft.Extensions.AI;
using Neena.Agent.Planning;
using Neena.Agent.Preparation;

namespace Neena.Agent.LanguageModel;

/// <summary>A structured answer the model is asked for: <c>response_format: {type: json_schema, json_schema: {name, schema}}</c>.</summary>
public sealed record AnswerSchema(string Name, string Description, JsonElement Schema)
{
    /// <summary>
    /// Names as the API writes them (snake_case); a non-nullable member is never null, and a <c>required</c> one is
    /// listed as required, so the schema says exactly what the answer type says.
    /// </summary>
    private static readonly JsonSerializerOptions SchemaJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        RespectNullableAnnotations = true,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    /// <summary>Preparation (§6): <c>{"parameters": [{"name", "value", "explanation"}]}</c>, the shape of <c>task_prep_answer</c>.</summary>
    public static AnswerSchema TaskParameters { get; } = new(
        "task_parameters",
        "Values for a task's unresolved input parameters, each with where it came from.",
        SchemaOf<TaskParametersAnswer>());

    /// <summary>Planning (§6): the body of <c>POST /flows</c> plus an explanation.</summary>
    public static AnswerSchema Flow { get; } = new(
        "flow",
        "A Neena flow: task operations (each a candidate task definition) and the dependencies between them.",
        FlowAnswer.Restrict(SchemaOf<FlowAnswer>()));

    private static JsonElement SchemaOf<T>() =>
        AIJsonUtilities.CreateJsonSchema(typeof(T), serializerOptions: SchemaJson, inferenceOptions: new AIJsonSchemaCreateOptions());
}
