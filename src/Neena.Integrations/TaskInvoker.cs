using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Neena.Integrations;

/// <summary>Runs one task: JSON input in, JSON output out, with the integration instance built from the run's services.</summary>
public sealed class TaskInvoker
{
    // Non-optional, non-nullable reference properties: System.Text.Json leaves them null when the input omits them
    // unless they are `required`, so the invoker checks them itself. Computed once per input type.
    private static readonly ConcurrentDictionary<Type, IReadOnlyList<TypeSchema.Field>> MandatoryReferenceFields = new();

    /// <summary>
    /// The JSON contract between flows and integrations: snake_case names, enums as snake_case strings, and nullable
    /// annotations and constructor parameters enforced so that the catalogue's "optional" flags hold at run time.
    /// </summary>
    public static JsonSerializerOptions IntegrationJson { get; } = CreateIntegrationJson();

    /// <exception cref="TaskInputException">The input does not fit the task's input type.</exception>
    /// <exception cref="TaskFailedException">The task failed permanently, or produced output that cannot be serialised.</exception>
    /// <exception cref="TransientTaskException">The task failed in a way that a retry may fix.</exception>
    /// <exception cref="OperationCanceledException"><see cref="TaskContext.CancellationToken"/> was cancelled.</exception>
    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Callers receive the invoker through dependency injection.")]
    public async Task<JsonNode?> InvokeAsync(TaskDescriptor task, JsonObject input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        context.CancellationToken.ThrowIfCancellationRequested();

        var typedInput = Deserialize(task, input);
        CheckTimeLimit(task, typedInput, context.TimeLimit);
        var instance = ActivatorUtilities.CreateInstance(context.Services, task.IntegrationType);
        try
        {
            context.Logger.LogDebug("Running task {TaskMethod}", task.MethodName);
            var output = await InvokeMethodAsync(task, instance, typedInput, context);
            return SerializeOutput(task, output);
        }
        finally
        {
            // Instances are created outside the container, so nothing else would dispose them.
            if (instance is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else if (instance is IDisposable disposable)
            {
                disposable.Dispose();
            }
        }
    }

    private static JsonSerializerOptions CreateIntegrationJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            PropertyNameCaseInsensitive = false,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            NumberHandling = JsonNumberHandling.Strict,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private static object Deserialize(TaskDescriptor task, JsonObject input)
    {
        object? value;
        try
        {
            value = input.Deserialize(task.InputClrType, IntegrationJson);
        }
        catch (JsonException ex)
        {
            throw DescribeInputError(task, input, ex);
        }
        catch (NotSupportedException ex)
        {
            throw new TaskInputException($"Input for task '{task.TaskName}' cannot be read: {ex.Message}", ex);
        }

        if (value is null)
        {
            throw new TaskInputException($"Input for task '{task.TaskName}' must be a JSON object.");
        }

        var mandatory = MandatoryReferenceFields.GetOrAdd(task.InputClrType, static type => TypeSchema
            .DescribeFields(type)
            .Where(f => !f.Descriptor.Optional && !f.Nullable && !f.Property.PropertyType.IsValueType)
            .ToList());
        foreach (var field in mandatory)
        {
            if (field.Property.GetValue(value) is null)
            {
                throw new TaskInputException(
                    field.Descriptor.Name,
                    $"Input field '{field.Descriptor.Name}' of task '{task.TaskName}' is required.");
            }
        }

        return value;
    }

    /// <summary>A wait or timeout longer than the attempt may last would only end in a timeout: refuse it with a clear message.</summary>
    private static void CheckTimeLimit(TaskDescriptor task, object input, TimeSpan? limit)
    {
        if (limit is not { } max || task.SecondsWithinTimeLimit.Count == 0)
        {
            return;
        }

        foreach (var field in TypeSchema.DescribeFields(task.InputClrType).Where(f => task.SecondsWithinTimeLimit.Contains(f.Descriptor.Name)))
        {
            var seconds = field.Property.GetValue(input) switch
            {
                double d => d,
                float f => f,
                int i => i,
                long l => l,
                decimal m => (double)m,
                _ => (double?)null,
            };
            if (seconds > max.TotalSeconds)
            {
                throw new TaskInputException(field.Descriptor.Name, string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"Input field '{field.Descriptor.Name}' of task '{task.TaskName}' is {seconds} s, more than the engine's time limit of {max.TotalSeconds} s per task attempt (Engine:TaskTimeoutSeconds)."));
            }
        }
    }

    private static TaskInputException DescribeInputError(TaskDescriptor task, JsonObject input, JsonException ex)
    {
        var path = ex.Path;
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            // Missing required members are reported at the root; System.Text.Json's message names them.
            return new TaskInputException($"Input for task '{task.TaskName}' is invalid: {ex.Message}", ex);
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        var topLevel = field.Split('.', '[')[0].Trim('\'', '[', ']');
        var parameter = task.Parameters.FirstOrDefault(p => p.Name == topLevel);
        string reason;
        if (input.TryGetPropertyValue(topLevel, out var node) && node is null && field == topLevel)
        {
            reason = "must not be null";
        }
        else if (parameter is not null && field == topLevel)
        {
            reason = $"expected a value of type '{parameter.DataType}'";
        }
        else
        {
            reason = "has a value of the wrong type";
        }

        return new TaskInputException(field, $"Input field '{field}' of task '{task.TaskName}' is invalid: {reason}.", ex);
    }

    private static async Task<object?> InvokeMethodAsync(TaskDescriptor task, object instance, object input, TaskContext context)
    {
        Task pending;
        try
        {
            // DoNotWrapExceptions: a task that throws synchronously surfaces its own exception, not TargetInvocationException.
            pending = (Task)task.Method.Invoke(instance, BindingFlags.DoNotWrapExceptions, binder: null, [input, context], culture: null)!;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }

        await pending;
        return pending.GetType().GetProperty(nameof(Task<object>.Result))!.GetValue(pending);
    }

    private static JsonNode? SerializeOutput(TaskDescriptor task, object? output)
    {
        try
        {
            return JsonSerializer.SerializeToNode(output, task.OutputClrType, IntegrationJson);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            throw new TaskFailedException($"Task '{task.TaskName}' produced output that cannot be serialised: {ex.Message}", ex);
        }
    }
}
