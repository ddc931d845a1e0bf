using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Neena.Integrations.Triggers;

namespace Neena.Integrations.Core;

/// <summary>Tasks that need no outside system: plumbing and testing aids for flows.</summary>
[Integration("core", "Neena Core")]
[SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Task methods are invoked on an instance the invoker creates.")]
public sealed partial class CoreIntegration
{
    /// <summary>
    /// Longest wait a flow may ask for, whatever the engine allows; longer pauses belong in a scheduler, not a task occupying
    /// a worker. The engine's time limit per attempt (<c>Engine:TaskTimeoutSeconds</c>) bounds it further.
    /// </summary>
    public const double MaxWaitSeconds = 3600;

    private readonly TimeProvider _time;

    public CoreIntegration(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    [Task("Echo", Description = "Sends a message as the flow's answer: returns the given message text (and any JSON data) unchanged, so it appears in the run's result. Use it to send, deliver, show or report a final message such as a greeting, or to pass values along.")]
    public Task<EchoOutput> Echo(EchoInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Task.FromResult(new EchoOutput { Message = input.Message, Data = input.Data?.DeepClone() });
    }

    [Task("Compose Text", Description = "Composes text from a template: fills {name} placeholders with values, e.g. 'Hello, {name}!' with name = 'Ada' gives 'Hello, Ada!'. Use it to write greetings, messages, subjects or any text built from the request's data or earlier results.")]
    public Task<ComposeTextOutput> ComposeText(ComposeTextInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Task.FromResult(new ComposeTextOutput { Text = Compose(input.Template, input.Values) });
    }

    [Task("Wait", Description = "Waits (pauses the flow) for a number of seconds, at most the engine's time limit per task attempt (300 s by default), before the next tasks run. Use it to delay, throttle or schedule a step shortly after another.")]
    public async Task<WaitOutput> Wait(WaitInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        if (!double.IsFinite(input.Seconds) || input.Seconds < 0 || input.Seconds > MaxWaitSeconds)
        {
            throw new TaskInputException(
                "seconds",
                string.Create(CultureInfo.InvariantCulture, $"Input field 'seconds' must be between 0 and {MaxWaitSeconds}."));
        }

        await Task.Delay(TimeSpan.FromSeconds(input.Seconds), _time, context.CancellationToken);
        return new WaitOutput { WaitedSeconds = input.Seconds };
    }

    [Task("Raise Error", Description = "Fails deliberately with the given error message. Only for testing how a flow handles a failed task; never part of a real automation.")]
    public Task<RaiseErrorOutput> RaiseError(RaiseErrorInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        context.Logger.LogInformation("Raise Error task failing on request");
        throw new TaskFailedException(input.Message);
    }

    /// <summary>
    /// Replaces <c>{key}</c> with the value's text. Unknown keys stay as written so a typo is visible in the output
    /// rather than silently erased; <c>{{</c> and <c>}}</c> produce literal braces.
    /// </summary>
    internal static string Compose(string template, IReadOnlyDictionary<string, JsonNode?> values)
    {
        var result = new StringBuilder(template.Length);
        var i = 0;
        while (i < template.Length)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                result.Append('{');
                i += 2;
            }
            else if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                result.Append('}');
                i += 2;
            }
            else if (c == '{')
            {
                var close = template.IndexOfAny(['{', '}'], i + 1);
                if (close < 0 || template[close] == '{')
                {
                    // No placeholder here (an unmatched brace): keep the brace as plain text.
                    result.Append(c);
                    i++;
                    continue;
                }

                var key = template[(i + 1)..close];
                if (values.TryGetValue(key, out var value))
                {
                    result.Append(TextOf(value));
                }
                else
                {
                    result.Append(template, i, close - i + 1);
                }

                i = close + 1;
            }
            else
            {
                result.Append(c);
                i++;
            }
        }

        return result.ToString();
    }

    /// <summary>Strings appear without quotes, null as nothing, anything else as compact JSON.</summary>
    private static string TextOf(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => value.ToJsonString(TaskInvoker.IntegrationJson),
    };
}

public sealed record EchoInput
{
    [Description("The message text to deliver, e.g. a greeting or a summary composed by an earlier task.")]
    public required string Message { get; init; }

    [Description("Optional JSON value delivered with the message.")]
    public JsonNode? Data { get; init; }
}

public sealed record EchoOutput
{
    [Description("The delivered message text.")]
    public required string Message { get; init; }

    [Description("The delivered JSON data, if any.")]
    public JsonNode? Data { get; init; }
}

public sealed record ComposeTextInput
{
    [Description("The text to compose, with {name} placeholders, e.g. 'Hello, {name}!'; write {{ or }} for a literal brace.")]
    public required string Template { get; init; }

    [Description("The placeholder values by name, e.g. {\"name\": \"Ada\"}; strings are inserted as they are, other values as JSON.")]
    public Dictionary<string, JsonNode?> Values { get; init; } = [];
}

public sealed record ComposeTextOutput
{
    [Description("The composed text, with the known placeholders replaced.")]
    public required string Text { get; init; }
}

public sealed record WaitInput
{
    [Description("How long to wait, in seconds (0 to the engine's time limit per task attempt, 300 s by default; fractions allowed).")]
    [WithinTaskTimeLimit]
    public required double Seconds { get; init; }
}

public sealed record WaitOutput
{
    [Description("How long the task waited, in seconds.")]
    public required double WaitedSeconds { get; init; }
}

public sealed record RaiseErrorInput
{
    [Description("The error message the task fails with.")]
    public required string Message { get; init; }
}

/// <summary>Never produced: the task always fails. Declared because every task names an output type.</summary>
public sealed record RaiseErrorOutput;

/// <summary>Any JSON posted to the operation's webhook URL, signed with its signing secret.</summary>
[Trigger("Incoming Webhook", typeof(CoreIntegration),
    Description = "Any JSON document POSTed to the operation's webhook URL, signed with the operation's signing secret (X-Neena-Signature).")]
public sealed record IncomingWebhook
{
    [EventField("$")]
    [Description("The whole JSON document that was delivered.")]
    public required JsonNode Payload { get; init; }
}
