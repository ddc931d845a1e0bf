using System.Diagnostics;

namespace Neena.Engine;

/// <summary>
/// The engine's spans (activity source <c>Neena.Engine</c>): one per run an instance works on (<c>flow_run</c>), and one
/// per task execution inside it (<c>task_run</c>), with the ids as attributes so that a run's trace can be found by its id.
/// Nothing is recorded unless a listener (OpenTelemetry, a test) listens to the source.
/// </summary>
public static class EngineTracing
{
    public const string SourceName = "Neena.Engine";
    public const string RunIdAttribute = "neena.flow_run.id";
    public const string TaskRunIdAttribute = "neena.task_run.id";
    public const string TaskIndexAttribute = "neena.task_operation.index";
    public const string AttemptAttribute = "neena.task_run.attempt";
    public const string StartTraceParentAttribute = "neena.flow_run.start_traceparent";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>A run's span: a root of its own, as the engine's loop that starts it belongs to no request.</summary>
    internal static Activity? StartRun(Guid runId)
    {
        var activity = Source.StartActivity("flow_run", ActivityKind.Internal, parentContext: default);
        activity?.SetTag(RunIdAttribute, runId.ToString());
        return activity;
    }

    /// <summary>
    /// Links the run's span to the trace of the request that started the run (its approval, or a retry), so that a trace
    /// viewer leads from the <c>PUT /flow_runs/approve</c> request to the run and back. Nothing when that request was not
    /// traced or the value is not a W3C <c>traceparent</c>.
    /// </summary>
    internal static void LinkToStart(Activity? run, string? traceParent)
    {
        if (run is null || traceParent is null || !ActivityContext.TryParse(traceParent, null, out var start))
            return;
        run.AddLink(new ActivityLink(start));
        run.SetTag(StartTraceParentAttribute, traceParent);
    }

    /// <summary>A task's span, a child of the run's (the ambient activity).</summary>
    internal static Activity? StartTask(Guid runId, Guid taskRunId, int index, int attempt)
    {
        var activity = Source.StartActivity("task_run");
        activity?.SetTag(RunIdAttribute, runId.ToString());
        activity?.SetTag(TaskRunIdAttribute, taskRunId.ToString());
        activity?.SetTag(TaskIndexAttribute, index);
        activity?.SetTag(AttemptAttribute, attempt);
        return activity;
    }
}
