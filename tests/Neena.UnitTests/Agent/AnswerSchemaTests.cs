using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Agent.LanguageModel;

namespace Neena.UnitTests.Agent;

/// <summary>
/// The schemas sent to the model (<c>response_format.json_schema.schema</c>) are generated from the answer types; they must
/// stay what the hand-written ones were, recorded here as they were sent before the switch.
/// </summary>
public sealed class AnswerSchemaTests
{
    private const string TaskParametersBefore = """
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
        """;

    private const string FlowBefore = """
        {
          "type": "object",
          "properties": {
            "name": {
              "type": "string",
              "description": "A short name for the flow (at most 200 characters)."
            },
            "task_operations": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": {
                  "name": {
                    "type": "string",
                    "description": "What this step does, in a few words."
                  },
                  "task_definition": {
                    "type": "string",
                    "description": "The id of one of the candidate task definitions."
                  },
                  "instruction": {
                    "type": "string",
                    "description": "What this step should do for the request, for whoever prepares its inputs."
                  },
                  "index": {
                    "type": "integer",
                    "description": "A unique non-negative number identifying this operation in the flow."
                  },
                  "parameters": {
                    "type": "object",
                    "description": "Optional bindings of the task's input parameters by name: JSON literals or strings with {{request.instructions}}, {{request.name}}, {{request.metadata.KEY}}, {{tasks.INDEX.result.PATH}}, {{tasks.INDEX.status}} or {{tasks.INDEX.error}} references (INDEX must be an ancestor); with for_each also {{item}}, {{item.PATH}} and {{item_index}}."
                  },
                  "join": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "description": "Optional: 'all' (the default) runs this operation only when every incoming dependency is taken, 'any' when at least one is (where the branches of an if/else meet); otherwise it is skipped.",
                    "enum": [
                      "all",
                      "any",
                      null
                    ]
                  },
                  "continue_on_failure": {
                    "type": [
                      "boolean",
                      "null"
                    ],
                    "description": "Optional: true lets the run go on when this operation fails; conditions on its outgoing dependencies may test {{tasks.INDEX.status}} eq 'failed' to run a fallback."
                  },
                  "for_each": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "description": "Optional: exactly one binding to a JSON array, e.g. \"{{tasks.0.result.cards}}\"; the operation then runs once per item.",
                    "maxLength": 4000
                  }
                },
                "required": [
                  "name",
                  "task_definition",
                  "instruction",
                  "index"
                ]
              }
            },
            "dependencies": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": {
                  "source_task_operation": {
                    "type": "integer",
                    "description": "Index of the operation that runs first."
                  },
                  "target_task_operation": {
                    "type": "integer",
                    "description": "Index of the operation that runs after it."
                  },
                  "instruction": {
                    "type": "string",
                    "description": "What passes from the source to the target."
                  },
                  "condition": {
                    "type": [
                      "object",
                      "null"
                    ],
                    "description": "Optional: the dependency is taken only when this holds, decided once the source has ended; null or left out: always taken. An OR of ANDs.",
                    "properties": {
                      "any": {
                        "type": "array",
                        "description": "The groups, at least one: the condition holds when every test of some group holds.",
                        "items": {
                          "type": "object",
                          "properties": {
                            "all": {
                              "type": "array",
                              "description": "The tests of the group, at least one.",
                              "items": {
                                "type": "object",
                                "properties": {
                                  "left": {
                                    "description": "A JSON literal or a binding string such as \"{{tasks.0.result.name}}\" or \"{{tasks.0.status}}\"."
                                  },
                                  "op": {
                                    "type": "string",
                                    "description": "One of: eq, ne, gt, gte, lt, lte, contains, not_contains, starts_with, ends_with, exists, not_exists, is_empty, is_not_empty.",
                                    "enum": [
                                      "eq",
                                      "ne",
                                      "gt",
                                      "gte",
                                      "lt",
                                      "lte",
                                      "contains",
                                      "not_contains",
                                      "starts_with",
                                      "ends_with",
                                      "exists",
                                      "not_exists",
                                      "is_empty",
                                      "is_not_empty"
                                    ]
                                  },
                                  "right": {
                                    "description": "A JSON literal or a binding string; ignored by exists, not_exists, is_empty and is_not_empty."
                                  }
                                },
                                "required": [
                                  "left",
                                  "op"
                                ]
                              },
                              "minItems": 1,
                              "maxItems": 20
                            }
                          },
                          "required": [
                            "all"
                          ]
                        },
                        "minItems": 1,
                        "maxItems": 20
                      }
                    },
                    "required": [
                      "any"
                    ]
                  }
                },
                "required": [
                  "source_task_operation",
                  "target_task_operation"
                ]
              }
            },
            "explanation": {
              "type": "string",
              "description": "Why these tasks, in this order, serve the request."
            }
          },
          "required": [
            "name",
            "task_operations",
            "dependencies",
            "explanation"
          ]
        }
        """;

    [Fact]
    public void TaskParameters_IsTheRecordedSchema()
    {
        AssertSameSchema(TaskParametersBefore, AnswerSchema.TaskParameters.Schema);
        Assert.Equal("task_parameters", AnswerSchema.TaskParameters.Name);
        Assert.Equal("Values for a task's unresolved input parameters, each with where it came from.", AnswerSchema.TaskParameters.Description);
    }

    [Fact]
    public void Flow_IsTheRecordedSchema()
    {
        AssertSameSchema(FlowBefore, AnswerSchema.Flow.Schema);
        Assert.Equal("flow", AnswerSchema.Flow.Name);
        Assert.Equal("A Neena flow: task operations (each a candidate task definition) and the dependencies between them.", AnswerSchema.Flow.Description);
    }

    private static void AssertSameSchema(string expected, JsonElement actual)
    {
        var want = JsonNode.Parse(expected);
        var got = JsonNode.Parse(actual.GetRawText());
        // Property order is no part of a schema's meaning; everything else (types, descriptions, required lists) is.
        Assert.True(JsonNode.DeepEquals(want, got), $"Expected\n{want!.ToJsonString()}\nbut the schema is\n{got!.ToJsonString()}");
    }
}
