using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Neena.Api.Services.Notifications;
using Neena.Domain.Notifications;
using Neena.Engine;
using Neena.Integrations;
using Neena.Integrations.Http;
using Neena.Integrations.Notifications;
using Neena.Persistence;
using Neena.Persistence.Notifications;
using Npgsql;

namespace Neena.Api.Workers;

/// <summary>
/// Delivers the notification outbox (contract §11): claims due entries under a lease (instances share the work; a crashed
/// instance's entries come back when its lease expires, so none is lost), POSTs each body signed as Standard Webhooks
/// defines through the address-guarded HTTP client, and records every attempt. A 2xx ends a delivery; anything else is
/// retried with exponential backoff until the retry window (24 h) closes. A queued event wakes it at once (NOTIFY);
/// retries wake it by their due time.
/// </summary>
public sealed class NotificationDeliveryWorker : BackgroundService
{
    private readonly IServiceScopeFactory _scopes;
    private readonly NpgsqlDataSource _dataSource;
    private readonly NotificationHub _hub;
    private readonly NotificationOptions _options;
    private readonly NotificationDeliveryLease _queue;
    private readonly IHttpClientFactory _http;
    private readonly NotificationSecretProtector _secrets;
    private readonly TimeProvider _time;
    private readonly ILogger<NotificationDeliveryWorker> _logger;
    private readonly ConcurrentDictionary<Guid, Task> _working = new();
    private readonly WakeSignal _wake = new();

    public NotificationDeliveryWorker(
        IServiceScopeFactory scopes,
        NpgsqlDataSource dataSource,
        NotificationHub hub,
        IOptions<NotificationOptions> options,
        IOptions<EngineOptions> engine,
        IHttpClientFactory http,
        NotificationSecretProtector secrets,
        TimeProvider time,
        ILogger<NotificationDeliveryWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engine);
        _scopes = scopes;
        _dataSource = dataSource;
        _hub = hub;
        _options = options.Value;
        _http = http;
        _secrets = secrets;
        _time = time;
        _logger = logger;
        _queue = new NotificationDeliveryLease(dataSource, engine.Value.InstanceId, _options.Lease);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            _logger.LogInformation("Notification delivery is disabled on this instance (Notifications:Enabled = false)");
            return;
        }

        await Task.Yield();
        var listener = _hub.ListenAsync([NotificationChannels.Queued], (_, _) => _wake.Wake(), () => _wake.Wake(), stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var (claimedAll, nextDue) = await ClaimAsync(stoppingToken);
                if (!claimedAll)
                    await _wake.WaitAsync(_options.PollInterval, nextDue, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Graceful stop.
        }
        finally
        {
            await Task.WhenAll(_working.Values);
            await listener;
        }
    }

    private async Task<(bool ClaimedAll, TimeSpan? NextDue)> ClaimAsync(CancellationToken stoppingToken)
    {
        var free = _options.MaxConcurrency - _working.Count;
        if (free <= 0)
            return (false, null);
        List<ClaimedNotification> claimed;
        TimeSpan? nextDue;
        try
        {
            (claimed, nextDue) = await _queue.ClaimAsync(free, _options.MaxPerOrganization, stoppingToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            _logger.LogWarning(ex, "Claiming notifications failed; trying again at the next wake-up or poll");
            return (false, null);
        }

        foreach (var item in claimed)
        {
            var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var work = Task.Run(async () =>
            {
                await registered.Task;
                await DeliverAsync(item, stoppingToken);
            }, CancellationToken.None);
            _working[item.Id] = work;
            registered.SetResult();
            _ = work.ContinueWith(_ =>
            {
                _working.TryRemove(item.Id, out var _);
                _wake.Wake();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return (claimed.Count > 0 && claimed.Count == free, nextDue);
    }

    /// <summary>One attempt of one entry; never throws.</summary>
    private async Task DeliverAsync(ClaimedNotification entry, CancellationToken stoppingToken)
    {
        NotificationAttemptResult result;
        try
        {
            result = await AttemptAsync(entry, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await GuardAsync(entry.Id, () => _queue.ReleaseAsync(entry.Id, CancellationToken.None));
            return;
        }
        catch (LeaseLostSignal)
        {
            return;
        }
#pragma warning disable CA1031 // One entry's failure must not stop the worker; the entry is retried.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "Delivering notification {WebhookId} failed unexpectedly", entry.Id);
            result = Failure(entry, null, "Delivery failed unexpectedly (see the server's log).");
        }
        if (result.Outcome != NotificationAttemptOutcome.Delivered)
            _logger.LogInformation("Notification {WebhookId} ({EventType}) attempt {Attempt}: {Outcome}, {Error}", entry.Id, entry.EventType, entry.Attempts, result.Outcome, result.Error);
        await GuardAsync(entry.Id, () => _queue.RecordAsync(entry.Id, result, CancellationToken.None));
    }

    private async Task<NotificationAttemptResult> AttemptAsync(ClaimedNotification entry, CancellationToken stoppingToken)
    {
        string url;
        string? protectedSecret;
        bool active;
        await using (var scope = _scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<NeenaDbContext>();
            var subscription = await db.NotificationSubscriptions.IgnoreQueryFilters().AsNoTracking()
                .Where(s => s.Id == entry.SubscriptionId)
                .Select(s => new { s.Url, s.ProtectedSecret, s.Active, s.DeletedAt })
                .FirstOrDefaultAsync(stoppingToken);
            if (subscription is null || subscription.DeletedAt is not null || subscription.ProtectedSecret is null)
                return new(NotificationAttemptOutcome.Failed, null, "The subscription was deleted.");
            (url, protectedSecret, active) = (subscription.Url, subscription.ProtectedSecret, subscription.Active);
            if (!active && entry.EventType != NotificationEventType.Ping)
                return new(NotificationAttemptOutcome.Failed, null, "The subscription is inactive.");

            var payload = entry.Payload;
            if (payload is null)
            {
                var built = await scope.ServiceProvider.GetRequiredService<NotificationPayloads>().BuildAsync(entry, stoppingToken);
                payload = await _queue.StorePayloadAsync(entry.Id, built, stoppingToken) ?? throw new LeaseLostSignal();
            }
            entry = entry with { Payload = payload };
        }

        var signer = new StandardWebhookSigner(_secrets.Unprotect(entry.OrganizationId, entry.SubscriptionId, protectedSecret));
        var body = Encoding.UTF8.GetBytes(entry.Payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        foreach (var (name, value) in signer.Headers(entry.Id.ToString("D"), _time.GetUtcNow(), body))
            request.Headers.TryAddWithoutValidation(name, value);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            using var response = await _http.CreateClient(HttpIntegration.HttpClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var code = (int)response.StatusCode;
            return code is >= 200 and < 300
                ? new(NotificationAttemptOutcome.Delivered, code, null)
                : Failure(entry, code, $"The receiver answered {code}.");
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return Failure(entry, null, $"The receiver did not answer within {_options.Timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException ex)
        {
            return Failure(entry, null, Reason(ex));
        }
    }

    /// <summary>A failed attempt: retried after the backoff, or failed for good when the next attempt would fall outside the retry window.</summary>
    private NotificationAttemptResult Failure(ClaimedNotification entry, int? code, string error)
    {
        var delay = _options.RetryDelay(entry.Attempts);
        var created = DateTime.SpecifyKind(entry.CreatedDate, DateTimeKind.Utc);
        if (_time.GetUtcNow().UtcDateTime + delay > created + _options.RetryWindow)
            return new(NotificationAttemptOutcome.Failed, code, $"{error} Gave up after {entry.Attempts} attempt{(entry.Attempts == 1 ? "" : "s")}: the retry window of {_options.RetryWindow} is over.");
        return new(NotificationAttemptOutcome.Retrying, code, error, delay);
    }

    /// <summary>The refusal of the address guard, or the transport's reason; never the request's headers.</summary>
    private static string Reason(HttpRequestException ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is TaskFailedException or TransientTaskException)
                return e.Message;
        }
        return ex.Message;
    }

    private async Task GuardAsync(Guid id, Func<Task<bool>> write)
    {
        try
        {
            if (!await write())
                _logger.LogWarning("Notification {WebhookId} is no longer held by this instance; its attempt was not recorded here", id);
        }
#pragma warning disable CA1031 // The lease expires and the entry is claimed again: the worker must not die.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogWarning(ex, "Recording notification {WebhookId} failed; it is claimed again once its lease expires", id);
        }
    }

    /// <summary>This instance lost the entry before sending it; whoever holds it now delivers it.</summary>
    private sealed class LeaseLostSignal : Exception;
}
