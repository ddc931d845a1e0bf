using System.Text.Json;

namespace Neena.Agent.LanguageModel;

/// <summary>A structured answer the model is asked for: <c>response_format: {type: json_schema, json_schema: {name, schema}}</c>.</summary>
public sealed record AnswerSchema(string Name, string Description, JsonElement Schema)
{
    /// <summary>Preparation (§6): <c>{"parameters": [{"name", "value", "explanation"}]}</c>, the shape of <c>task_prep_answer</c>.</summary>
    public static AnswerSchema TaskParameters { get; } = new(
        "task_parameters",
        "Values for a task's unresolved input parameters, each with where it came from.",
        Parse("""
        {
          "type": "object",
          "properties": {
            "parameters": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": {
                  "name": { "type": "string", "description": "The parameter's name, exactly as listed." },
                  "value": { "description": "The value, of the parameter's data type." },
                  "explanation": { "type": "string", "description": "Where the value comes from." }
                },
                "required": ["name", "value", "explanation"]
              }
            }
          },
          "required": ["parameters"]
        }
        """));

    /// <summary>Planning (§6): the body of <c>POST /flows</c> plus an explanation.</summary>
    public static AnswerSchema Flow { get; } = new(
        "flow",
        "A Neena flow: task operations (each a candidate task definition) and the dependencies between them.",
        Parse("""
        {
          "type": "object",
          "properties": {
            "name": { "type": "string", "description": "A short name for the flow (at most 200 characters)." },
            "task_operations": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": {
                  "name": { "type": "string", "description": "What this step does, in a few words." },
                  "task_definition": { "type": "string", "description": "The id of one of the candidate task definitions." },
                  "instruction": { "type": "string", "description": "What this step should do for the request, for whoever prepares its inputs." },
                  "index": { "type": "integer", "description": "A unique non-negative number identifying this operation in the flow." },
                  "parameters": {
                    "type": "object",
                    "description": "Optional bindings of the task's input parameters by name: JSON literals or strings with {{request.instructions}}, {{request.name}}, {{request.metadata.KEY}} or {{tasks.INDEX.result.PATH}} references (INDEX must be an ancestor)."
                  }
                },
                "required": ["name", "task_definition", "instruction", "index"]
              }
            },
            "dependencies": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": {
                  "source_task_operation": { "type": "integer", "description": "Index of the operation that runs first." },
                  "target_task_operation": { "type": "integer", "description": "Index of the operation that runs after it." },
                  "instruction": { "type": "string", "description": "What passes from the source to the target." }
                },
                "required": ["source_task_operation", "target_task_operation"]
              }
            },
            "explanation": { "type": "string", "description": "Why these tasks, in this order, serve the request." }
          },
          "required": ["name", "task_operations", "dependencies", "explanation"]
        }
        """));

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
