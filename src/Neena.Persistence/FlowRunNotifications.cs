namespace Neena.Persistence;

/// <summary>PostgreSQL NOTIFY channels between the API and the engine; payloads are flow run ids.</summary>
public static class FlowRunNotifications
{
    /// <summary>A run was approved (its task runs exist, status <c>in_progress</c>): an engine should claim it now.</summary>
    public const string Approved = "neena_flow_run_approved";

    /// <summary>A run was cancelled through the API: the engine working on it stops its tasks.</summary>
    public const string Cancelled = "neena_flow_run_cancelled";

    /// <summary>
    /// A run or one of its task runs changed status (sent by triggers, whoever made the change): payload
    /// <c>run id:r|t:row id:status</c>. Event streams listen to it.
    /// </summary>
    public const string Events = "neena_flow_run_events";
}
