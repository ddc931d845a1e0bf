using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Neena.Api.Auth;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Errors;
using Neena.Api.Services;
using Neena.Domain.FlowRuns;
using Neena.Persistence;

namespace Neena.Api.RunEvents;

/// <summary>
/// <c>GET /flow_runs/events?id=</c>: the run's changes as Server-Sent Events. Every event carries the JSON of the read
/// endpoints (<see cref="FlowRunReads"/>, with the caller's tenancy): <c>task_run</c> for a task run, <c>run</c> for the
/// run with its task runs. The first events bring the client up to date (all of it, or what changed since its
/// <c>Last-Event-ID</c>); then each notification makes the stream read the run again and send what the notifications
/// report, in their order. A status a task passed through too quickly to be read (in progress for a millisecond) is still
/// sent, from the notification: the task run as read, with that status and no end, result or error. A status the read
/// shows before its notification arrived (they come on the listener's connection a moment after the commit) waits for
/// it, so nothing is sent out of order; only a heartbeat, a lost or dropped notification makes the stream send what it
/// reads without one. The stream ends with an <c>end</c> event after
/// the run's final <c>run</c> event. A client slower than <see cref="RunEventOptions.SlowReaderSeconds"/> to take an event
/// is dropped (the connection closed); a stream whose run cannot be read any more (the database gone) ends with an
/// <c>end</c> event whose status is not final and whose <c>detail</c> says why.
/// </summary>
internal sealed class RunEventStreamer(
    NeenaDbContext db,
    RunEventHub hub,
    IOptions<RunEventOptions> options,
    IOptions<Microsoft.AspNetCore.Mvc.JsonOptions> json,
    IHostApplicationLifetime lifetime,
    ILogger<RunEventStreamer> logger)
{
    public const string LastEventIdHeader = "Last-Event-ID";

    private readonly Dictionary<Guid, (string Status, int Attempt, int Index)> _sentTasks = [];
    private string? _sentRun;

    // The status the latest notification reported, by run or task run id.
    private readonly Dictionary<Guid, string> _notified = [];

    public async Task StreamAsync(HttpContext http, Guid runId, string? lastEventId, CancellationToken cancellationToken)
    {
        char resumeRun = '\0';
        List<(char Status, int Attempt)>? resumeTasks = null;
        if (lastEventId is not null && !RunEventId.TryParse(lastEventId, out resumeRun, out resumeTasks))
            throw new RequestValidationException([new("header." + LastEventIdHeader, "not an event id of this stream")]);

        var organization = http.User.GetOrganizationId() ?? Guid.Empty;
        var (subscription, refusal) = hub.TrySubscribe(runId, organization, CredentialOf(http.User));
        using var _ = subscription;
        if (subscription is null)
        {
            // Written here, not thrown: the exception handler clears the headers, and Retry-After is the point of this answer.
            // The caller's own share is a 429 (it may close one of its streams); a full instance is the server's limit, 503.
            http.Response.Headers.RetryAfter = "5";
            var (status, detail) = refusal switch
            {
                StreamRefusal.Credential => (StatusCodes.Status429TooManyRequests, $"This credential has {options.Value.MaxStreamsPerCredential} event streams open, as many as it may; close one or retry later."),
                StreamRefusal.Organization => (StatusCodes.Status429TooManyRequests, $"This organization has {options.Value.MaxStreamsPerOrganization} event streams open, as many as it may; close one or retry later."),
                _ => (StatusCodes.Status503ServiceUnavailable, "Too many event streams are open on this server; retry later."),
            };
            await ErrorWriter.WriteDetailAsync(http, status, detail);
            return;
        }
        // Before the first read: from here on every change is either in what is read or announced to this instance.
        await hub.RegisteredAsync(cancellationToken);
        // Shared with the run's other streams (RunReadSharing): however many watch a large run, it is held once.
        var readFor = db.Tenant.OrganizationId ?? Guid.Empty;
        var run = await hub.Reads.ReadAsync(runId, readFor, fresh: false, () => FlowRunReads.GetAsync(db, runId, cancellationToken))
            ?? throw ApiException.NotFound("Flow run not found");
        if (resumeTasks is not null)
            Resume(run, resumeRun, resumeTasks);

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var token = stopping.Token;
        var response = http.Response;
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await WriteAsync(response, "retry: 3000\n\n"u8.ToArray(), token);

        var heartbeat = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);
        var signals = new List<RunSignal>();
        var catchUp = true;
        try
        {
            while (true)
            {
                if (await SendChangesAsync(response, run, signals, catchUp, token))
                    return;
                signals.Clear();
                catchUp = false;
                var heartbeatRead = false;
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(token))
                {
                    wait.CancelAfter(heartbeat);
                    try
                    {
                        if (!await subscription.Signals.WaitToReadAsync(wait.Token))
                            return;
                    }
                    catch (OperationCanceledException) when (!token.IsCancellationRequested)
                    {
                        // Quiet for a while: a comment keeps proxies from closing the connection, and the run is read again
                        // in case a notification was lost (the listener reconnecting).
                        await WriteAsync(response, ": heartbeat\n\n"u8.ToArray(), token);
                        await FlushAsync(response, token);
                        catchUp = true;
                        heartbeatRead = true;
                    }
                }
                while (subscription.Signals.TryRead(out var signal))
                {
                    signals.Add(signal);
                    catchUp |= signal.IsResync;
                }
                catchUp |= subscription.TakeOverflow();
                FlowRunResponse? read;
                try
                {
                    read = await hub.Reads.ReadAsync(runId, readFor, fresh: heartbeatRead, () => FlowRunReads.GetAsync(db, runId, token));
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    // The answer has started, so no error status can be sent; ending with `end` (the run's status as last
                    // read, not final, and why) closes the stream properly, and the client may resume with Last-Event-ID.
                    logger.LogWarning(e, "Run event stream of {RunId} ended: the run could not be read", runId);
                    var detail = DatabaseUnavailable.Is(e) ? DatabaseUnavailable.Detail : "The run could not be read; retry later.";
                    await WriteAsync(response, await SseFrame.FormatAsync(
                        "end", $"{{\"id\":\"{run.Id}\",\"status\":\"{run.Status}\",\"detail\":{JsonSerializer.Serialize(detail)}}}", token), token);
                    await FlushAsync(response, token);
                    return;
                }
                if (read is null)
                    return; // Deleted (retention) while watched: nothing more will happen to it.
                run = read;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client went away or the server is stopping; a client reconnects with Last-Event-ID.
        }
        catch (SlowReaderException)
        {
            // Its place and whatever is waiting to be sent to it are given back; a client that reads again reconnects with Last-Event-ID.
            logger.LogInformation("Run event stream of {RunId} dropped: the client took no event for {Seconds} s", runId, options.Value.SlowReaderSeconds);
            http.Abort();
        }
    }

    private static string CredentialOf(System.Security.Claims.ClaimsPrincipal user) =>
        user.GetApiKeyId() is { } key ? "api_key:" + key
        : user.GetUserId() is { } id ? "user:" + id
        : "sub:" + user.GetSubject();

    /// <summary>Writes to the client, which must take the bytes within <see cref="RunEventOptions.SlowReaderSeconds"/>.</summary>
    /// <exception cref="SlowReaderException">It did not.</exception>
    private async Task WriteAsync(HttpResponse response, ReadOnlyMemory<byte> bytes, CancellationToken token)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.Value.SlowReaderSeconds));
        try
        {
            await response.Body.WriteAsync(bytes, deadline.Token);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new SlowReaderException();
        }
    }

    private async Task FlushAsync(HttpResponse response, CancellationToken token)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.Value.SlowReaderSeconds));
        try
        {
            await response.Body.FlushAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new SlowReaderException();
        }
    }

    private sealed class SlowReaderException : Exception;

    /// <summary>Takes what a resuming client says it has seen as sent, so that only what differs is sent again.</summary>
    private void Resume(FlowRunResponse run, char runLetter, List<(char Status, int Attempt)> tasks)
    {
        if (RunEventId.Letter(run.Status) == runLetter)
            _sentRun = run.Status;
        foreach (var task in run.TaskRuns)
        {
            if (task.TaskOperationIndex < tasks.Count && tasks[task.TaskOperationIndex] is var (status, attempt)
                && status == RunEventId.Letter(task.Status) && attempt == task.Attempt)
                _sentTasks[task.Id] = (task.Status, task.Attempt, task.TaskOperationIndex);
        }
    }

    /// <summary>
    /// Sends what changed since the last events; true once the run has ended and its final events are out. Without
    /// <paramref name="catchUp"/>, a run or task run is sent as read only once a notification reported its status.
    /// </summary>
    private async Task<bool> SendChangesAsync(HttpResponse response, FlowRunResponse run, List<RunSignal> signals, bool catchUp, CancellationToken token)
    {
        var tasks = run.TaskRuns.ToDictionary(t => t.Id);
        var sent = false;
        // Statuses that came and went before this read, in the order they happened.
        foreach (var signal in signals)
        {
            if (signal.Kind == 't' && tasks.TryGetValue(signal.Entity, out var task))
            {
                _notified[task.Id] = signal.Status;
                if (IsPassedThrough(signal.Status, Sent(task.Id), task.Status))
                {
                    var passed = task with { Status = signal.Status, EndTime = null, Result = null, Error = null };
                    await SendAsync(response, "task_run", passed, run, () => _sentTasks[task.Id] = (signal.Status, task.Attempt, task.TaskOperationIndex), token);
                    sent = true;
                }
            }
            else if (signal.Kind == 'r' && signal.Entity == run.Id)
            {
                _notified[run.Id] = signal.Status;
                if (IsPassedThrough(signal.Status, _sentRun, run.Status))
                {
                    var passed = run with { Status = signal.Status, EndTime = null };
                    await SendAsync(response, "run", passed, run, () => _sentRun = signal.Status, token);
                    sent = true;
                }
            }
        }
        // Once the run's end is reported, its read is final: a task run ended with it (cancelled) whose own notification is
        // still on its way is sent now, before `end`, instead of being held for a notification the stream will not wait for.
        var final = (catchUp || IsNotified(run.Id, run.Status)) && RunStatus.IsFinished(run.Status);
        foreach (var task in run.TaskRuns)
        {
            if (_sentTasks.TryGetValue(task.Id, out var last) && last.Status == task.Status && last.Attempt == task.Attempt)
                continue;
            if (!catchUp && !final && !IsNotified(task.Id, task.Status))
                continue;
            await SendAsync(response, "task_run", task, run, () => _sentTasks[task.Id] = (task.Status, task.Attempt, task.TaskOperationIndex), token);
            sent = true;
        }
        var runReported = catchUp || IsNotified(run.Id, run.Status);
        if (_sentRun != run.Status && runReported)
        {
            await SendAsync(response, "run", run, run, () => _sentRun = run.Status, token);
            sent = true;
        }
        var ended = runReported && RunStatus.IsFinished(run.Status);
        if (ended)
        {
            await WriteAsync(response, await SseFrame.FormatAsync("end", $"{{\"id\":\"{run.Id}\",\"status\":\"{run.Status}\"}}", token), token);
            sent = true;
        }
        if (sent)
            await FlushAsync(response, token);
        return ended;
    }

    /// <summary>Whether the last notification of the run or task run reported <paramref name="status"/> (its read is not ahead of it).</summary>
    private bool IsNotified(Guid entity, string status) => _notified.TryGetValue(entity, out var notified) && notified == status;

    private string? Sent(Guid task) => _sentTasks.TryGetValue(task, out var last) ? last.Status : null;

    /// <summary>A status between the last one sent and the one read now (only forward: a late notification of an older status is not news).</summary>
    private static bool IsPassedThrough(string status, string? sent, string current) =>
        status != current && status != sent
        && RunStateMachine.Progress(status) > (sent is null ? -1 : RunStateMachine.Progress(sent))
        && RunStateMachine.Progress(status) < RunStateMachine.Progress(current);

    private async Task SendAsync<T>(HttpResponse response, string name, T data, FlowRunResponse run, Action record, CancellationToken token)
    {
        record();
        var id = RunEventId.Format(
            _sentRun is null ? '-' : RunEventId.Letter(_sentRun),
            run.TaskRuns.Select(t => _sentTasks.TryGetValue(t.Id, out var s) ? (t.TaskOperationIndex, RunEventId.Letter(s.Status), s.Attempt) : (t.TaskOperationIndex, '-', 0)));
        // Serialized into the response as it goes, under the slow-reader deadline: a stalled client holds no copy of the event.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.Value.SlowReaderSeconds));
        try
        {
            await SseFrame.WriteAsync(response.BodyWriter, name, data, id, json.Value.JsonSerializerOptions, deadline.Token);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new SlowReaderException();
        }
    }
}
