using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Neena.Integrations;

namespace Neena.UnitTests.Integrations;

internal static class TaskTestSupport
{
    public static readonly TaskInvoker Invoker = new();

    public static TaskDescriptor Task(string methodName) =>
        IntegrationCatalogue.BuiltIn.FindTask(methodName) ?? throw new InvalidOperationException($"No task {methodName}.");

    public static TaskContext Context(IServiceProvider? services = null, CancellationToken cancellationToken = default) =>
        new(services ?? new ServiceCollection().BuildServiceProvider(), NullLogger.Instance, cancellationToken);

    public static Task<JsonNode?> InvokeAsync(string methodName, JsonObject input, TaskContext? context = null) =>
        Invoker.InvokeAsync(Task(methodName), input, context ?? Context());
}
