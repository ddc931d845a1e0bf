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
public sealed class CoreIntegration
{
    /// <summary>Longest wait a flow may ask for; longer pauses belong in a scheduler, not a task occupying a worker.</summary>
    public const double MaxWaitSeconds = 3600;

    private readonly TimeProvider _time;

    public CoreIntegration(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    [Task("Echo", Description = "Returns its input unchanged; useful to pass values along or to test a flow.")]
    public Task<EchoOutput> Echo(EchoInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Task.FromResult(new EchoOutput { Message = input.Message, Data = input.Data?.DeepClone() });
    }

    [Task("Compose Text", Description = "Fills the {name} placeholders of a template with values; {{ and }} stand for literal braces.")]
    public Task<ComposeTextOutput> ComposeText(ComposeTextInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Task.FromResult(new ComposeTextOutput { Text = Compose(input.Template, input.Values) });
    }

    [Task("Wait", Description = "Pauses the flow for a number of seconds (at most one hour).")]
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

    [Task("Raise Error", Description = "Fails the task with the given message; useful to test error handling.")]
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
    [Description("Text to return unchanged.")]
    public required string Message { get; init; }

    [Description("Any JSON value to return unchanged.")]
    public JsonNode? Data { get; init; }
}

public sealed record EchoOutput
{
    [Description("The input message.")]
    public required string Message { get; init; }

    [Description("The input data, if any.")]
    public JsonNode? Data { get; init; }
}

public sealed record ComposeTextInput
{
    [Description("Text with {name} placeholders; write {{ or }} for a literal brace.")]
    public required string Template { get; init; }

    [Description("Placeholder values by name; strings are inserted as-is, other values as JSON.")]
    public Dictionary<string, JsonNode?> Values { get; init; } = [];
}

public sealed record ComposeTextOutput
{
    [Description("The template with its known placeholders replaced.")]
    public required string Text { get; init; }
}

public sealed record WaitInput
{
    [Description("How long to wait, in seconds (0 to 3600, fractions allowed).")]
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
