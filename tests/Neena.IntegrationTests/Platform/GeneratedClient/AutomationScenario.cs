// Compiled at test time with ClientScenario.cs and the generated client (see GeneratedClientTests): the automation
// operations (§11), schedules and notification subscriptions, on both surfaces.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Neena.Generated;

namespace Neena.ClientScenario;

public static partial class Scenario
{
    private static async Task AutomationAsync(string baseUrl, HttpClient v1, HttpClient legacy, Guid echo, string receiverUrl)
    {
        await SchedulesAsync(baseUrl, v1, legacy, echo);
        await NotificationSubscriptionsAsync(baseUrl, v1, legacy, receiverUrl);
    }

    private static async Task SchedulesAsync(string baseUrl, HttpClient v1, HttpClient legacy, Guid echo)
    {
        var schedules = new ScheduleTriggerOperationsClient(v1) { BaseUrl = baseUrl };
        var legacySchedules = new LegacyScheduleTriggerOperationsClient(legacy) { BaseUrl = baseUrl };
        var flow = await new FlowsClient(v1) { BaseUrl = baseUrl }.CreateAsync(null, new FlowCreate
        {
            Name = "Nightly echo",
            Task_operations = new List<TaskOperationCreate> { new() { Name = "Echo", Task_definition = echo, Index = 0, Parameters = new Dictionary<string, object> { ["message"] = "nightly" } } },
        });

        // Every 10 s, so that it fires while the scenario runs; no flow, so each fire waits for approval by default.
        var often = await schedules.CreateAsync(null, new ScheduleTriggerOperationCreate
        {
            Name = "every ten seconds",
            Cron = "*/10 * * * * *",
            Template_body = "Report for <{fire_time}> of <{schedule_name}>",
            Status = TriggerOperationStatus.Active,
        });
        Check(often.Requires_approval && often.Flow == null && often.Time_zone == "UTC" && often.Missed_fires == MissedFires.Run_once && often.Status == TriggerOperationStatus.Active,
            "POST /api/v1/schedule_trigger_operations: requires_approval defaults to true without a flow");
        Check(often.Next_fire_times.Count == 3 && often.Next_fire_times.Zip(often.Next_fire_times.Skip(1), (a, b) => b - a).All(d => d == TimeSpan.FromSeconds(10)),
            "POST /api/v1/schedule_trigger_operations: the next 3 fire times, 10 s apart");
        var nightly = await legacySchedules.CreateAsync(null, new ScheduleTriggerOperationCreate
        {
            Name = "nightly",
            Cron = "30 2 * * *",
            Time_zone = "Europe/Berlin",
            Template_body = "Nightly run of {{ schedule_name }}",
            Flow = flow.Id,
        });
        Check(!nightly.Requires_approval && nightly.Flow == flow.Id && nightly.Status == TriggerOperationStatus.Inactive && nightly.Last_fire_time == null,
            "POST /schedule_trigger_operations: requires_approval defaults to false with a flow, inactive by default");
        Check(nightly.Next_fire_times.Count == 3 && nightly.Next_fire_times.All(t => t.UtcDateTime.Minute == 30 && t.UtcDateTime.Hour is 0 or 1),
            "POST /schedule_trigger_operations: 02:30 Berlin is 00:30 or 01:30 UTC: " + string.Join(", ", nightly.Next_fire_times));
        var badCron = await Refused<ValidationErrors>(() => legacySchedules.CreateAsync(null, new ScheduleTriggerOperationCreate { Name = "bad", Cron = "61 * * * *", Template_body = "never" }));
        Check(badCron.StatusCode == 422 && badCron.Result.Errors.Any(e => e.ContainsKey("body.cron")), "an invalid cron expression: 422 at body.cron");
        var badZone = await Refused<ValidationErrors>(() => schedules.CreateAsync(null, new ScheduleTriggerOperationCreate { Name = "bad", Cron = "0 9 * * *", Time_zone = "Mars/Olympus", Template_body = "never" }));
        Check(badZone.StatusCode == 422 && badZone.Result.Errors.Any(e => e.ContainsKey("body.time_zone")), "an unknown time zone: 422 at body.time_zone");

        // The trigger runs filter by schedule: only the fires of the active schedule, none of the webhook deliveries.
        var runs = new TriggerRunsClient(v1) { BaseUrl = baseUrl };
        ICollection<TriggerRun> fired = new List<TriggerRun>();
        for (var i = 0; i < 300 && fired.Count == 0; i++)
        {
            await Task.Delay(100);
            fired = await runs.ListAsync(0, 10, null, often.Id);
        }
        Check(fired.Count > 0 && fired.All(r => r.Schedule_trigger_operation == often.Id && r.Fire_time != null && r.Webhook_trigger_operation == null),
            "GET /api/v1/trigger_runs/all?schedule_trigger_operation_id=: the schedule's fires, and only those");
        var everyRun = await new LegacyTriggerRunsClient(legacy) { BaseUrl = baseUrl }.ListAsync(null, null, null, null);
        Check(everyRun.Any(r => r.Webhook_trigger_operation != null) && everyRun.Count > fired.Count, "GET /trigger_runs/all holds the webhook deliveries too");
        Check((await schedules.GetAsync(often.Id)).Last_fire_time != null, "GET /api/v1/schedule_trigger_operations: last_fire_time once it fired");

        // A value-typed field of the generated update model is always sent, so status, requires_approval and missed_fires are given.
        var paused = await schedules.UpdateAsync(new ScheduleTriggerOperationUpdate
        {
            Id = often.Id,
            Cron = "0 9 * * 1-5",
            Time_zone = "America/New_York",
            Status = TriggerOperationStatus.Inactive,
            Requires_approval = false,
            Missed_fires = MissedFires.Skip,
        });
        Check(paused.Status == TriggerOperationStatus.Inactive && !paused.Requires_approval && paused.Missed_fires == MissedFires.Skip && paused.Name == often.Name && paused.Template_body == often.Template_body,
            "PUT /api/v1/schedule_trigger_operations keeps what it is not sent");
        Check(paused.Next_fire_times.Count == 3 && paused.Next_fire_times.All(t => t.UtcDateTime.DayOfWeek is not DayOfWeek.Saturday and not DayOfWeek.Sunday && t.UtcDateTime.Hour is 13 or 14 && t.UtcDateTime.Minute == 0),
            "PUT /api/v1/schedule_trigger_operations: the next 3 fire times of the new cron, 09:00 New York on weekdays");
        var renamed = await legacySchedules.UpdateAsync(new ScheduleTriggerOperationUpdate
        {
            Id = nightly.Id,
            Name = "nightly report",
            Status = TriggerOperationStatus.Inactive,
            Requires_approval = true,
            Missed_fires = MissedFires.Run_once,
        });
        Check(renamed.Name == "nightly report" && renamed.Requires_approval && renamed.Flow == flow.Id && renamed.Cron == "30 2 * * *", "PUT /schedule_trigger_operations");
        var badUpdate = await Refused<ValidationErrors>(() => legacySchedules.UpdateAsync(new ScheduleTriggerOperationUpdate { Id = nightly.Id, Cron = "* * *", Status = TriggerOperationStatus.Inactive, Requires_approval = true }));
        Check(badUpdate.StatusCode == 422 && badUpdate.Result.Errors.Any(e => e.ContainsKey("body.cron")), "PUT /schedule_trigger_operations with an invalid cron: 422 at body.cron");
        Check((await legacySchedules.GetAsync(often.Id)).Cron == "0 9 * * 1-5", "GET /schedule_trigger_operations");
        Check((await schedules.ListAsync(0, 10)).Select(s => s.Id).SequenceEqual(new[] { nightly.Id, often.Id }), "GET /api/v1/schedule_trigger_operations/all, newest first");
        Check((await legacySchedules.ListAsync(null, 1)).Single().Id == nightly.Id, "GET /schedule_trigger_operations/all?limit=1");

        Check((await schedules.DeleteAsync(often.Id)).Deleted_at != null, "DELETE /api/v1/schedule_trigger_operations");
        Check((await legacySchedules.DeleteAsync(nightly.Id)).Deleted_at != null, "DELETE /schedule_trigger_operations");
        Check((await Refused<ErrorDetail>(() => schedules.GetAsync(nightly.Id))).StatusCode == 404, "a deleted schedule: 404");
        Check((await runs.ListAsync(0, 10, null, often.Id)).Count >= fired.Count, "a deleted schedule's trigger runs stay readable");
    }

    private static async Task NotificationSubscriptionsAsync(string baseUrl, HttpClient v1, HttpClient legacy, string receiverUrl)
    {
        var subscriptions = new NotificationSubscriptionsClient(v1) { BaseUrl = baseUrl };
        var legacySubscriptions = new LegacyNotificationSubscriptionsClient(legacy) { BaseUrl = baseUrl };

        var completed = await subscriptions.CreateAsync(null, new NotificationSubscriptionCreate
        {
            Url = receiverUrl + "/v1",
            Events = new List<NotificationEvent> { NotificationEvent.Run_completed },
            Description = "runs that end well",
        });
        Check(completed.Secret.StartsWith("whsec_") && completed.Active && completed.Deleted_at == null && completed.Events.SequenceEqual(new[] { NotificationEvent.Run_completed }),
            "POST /api/v1/notification_subscriptions: active by default, with the secret");
        var failures = await legacySubscriptions.CreateAsync(null, new NotificationSubscriptionCreate
        {
            Url = receiverUrl + "/legacy",
            Events = new List<NotificationEvent> { NotificationEvent.Run_failed, NotificationEvent.Trigger_run_failed, NotificationEvent.Task_awaiting_approval },
            Active = true,
        });
        Check(failures.Secret.StartsWith("whsec_") && failures.Secret != completed.Secret && failures.Description == null, "POST /notification_subscriptions");
        var unknownEvent = await Refused<ValidationErrors>(() => subscriptions.CreateAsync(null, new NotificationSubscriptionCreate { Url = receiverUrl, Events = new List<NotificationEvent>() }));
        Check(unknownEvent.StatusCode == 422 && unknownEvent.Result.Errors.Any(e => e.ContainsKey("body.events")), "no events: 422 at body.events");
        var internalUrl = await Refused<ValidationErrors>(() => legacySubscriptions.CreateAsync(null, new NotificationSubscriptionCreate { Url = "http://10.1.2.3/hook", Events = new List<NotificationEvent> { NotificationEvent.Run_failed } }));
        Check(internalUrl.StatusCode == 422 && internalUrl.Result.Errors.Any(e => e.ContainsKey("body.url")), "a private address: 422 at body.url");

        // The secret is shown once: no later answer carries it (the generated models keep unknown fields in AdditionalProperties).
        var got = await subscriptions.GetAsync(failures.Id);
        Check(got.Url == failures.Url && got.Events.Count == 3 && !got.AdditionalProperties.ContainsKey("secret"), "GET /api/v1/notification_subscriptions: never the secret");
        Check((await legacySubscriptions.GetAsync(completed.Id)).Description == "runs that end well", "GET /notification_subscriptions");
        var listed = await subscriptions.ListAsync(0, 10);
        Check(listed.Select(s => s.Id).SequenceEqual(new[] { failures.Id, completed.Id }) && listed.All(s => !s.AdditionalProperties.ContainsKey("secret")), "GET /api/v1/notification_subscriptions/all, newest first, no secrets");
        Check((await legacySubscriptions.ListAsync(1, null)).Single().Id == completed.Id, "GET /notification_subscriptions/all?skip=1");

        // A ping on each surface reaches the local receiver; each delivery log shows its attempt (polled: delivery is asynchronous).
        var ping = await subscriptions.TestAsync(completed.Id, null);
        Check(ping.Event_type == NotificationPingEvent_type.Ping, "POST /api/v1/notification_subscriptions/test");
        var legacyPing = await legacySubscriptions.TestAsync(failures.Id, null);
        Check(legacyPing.Webhook_id != ping.Webhook_id, "POST /notification_subscriptions/test: a delivery of its own");
        var delivered = await DeliveredAsync(() => subscriptions.DeliveriesAsync(completed.Id, 0, 10), ping.Webhook_id);
        Check(delivered.Status == NotificationAttemptOutcome.Delivered && delivered.Response_code == 200 && delivered.Attempt == 1 && delivered.Event_type == NotificationDeliveryEvent.Ping && delivered.Subscription == completed.Id,
            "GET /api/v1/notification_subscriptions/deliveries: the ping was delivered, " + delivered.Status + " " + delivered.Response_code + " " + delivered.Error);
        var legacyDelivered = await DeliveredAsync(() => legacySubscriptions.DeliveriesAsync(failures.Id, null, null), legacyPing.Webhook_id);
        Check(legacyDelivered.Status == NotificationAttemptOutcome.Delivered && legacyDelivered.Subscription == failures.Id, "GET /notification_subscriptions/deliveries");
        var unknownDeliveries = await Refused<ErrorDetail>(() => subscriptions.DeliveriesAsync(Guid.NewGuid(), null, null));
        Check(unknownDeliveries.StatusCode == 404, "the deliveries of an unknown subscription: 404");
        Check((await Refused<ErrorDetail>(() => legacySubscriptions.TestAsync(Guid.NewGuid(), null))).StatusCode == 404, "a ping to an unknown subscription: 404");

        // A value-typed field of the generated update model is always sent, so active is given.
        var widened = await subscriptions.UpdateAsync(new NotificationSubscriptionUpdate
        {
            Id = completed.Id,
            Events = new List<NotificationEvent> { NotificationEvent.Run_completed, NotificationEvent.Run_awaiting_approval },
            Active = true,
        });
        Check(widened.Events.Count == 2 && widened.Url == completed.Url && widened.Description == completed.Description && !widened.AdditionalProperties.ContainsKey("secret"),
            "PUT /api/v1/notification_subscriptions keeps what it is not sent");
        var paused = await legacySubscriptions.UpdateAsync(new NotificationSubscriptionUpdate { Id = failures.Id, Active = false, Description = "paused" });
        Check(!paused.Active && paused.Description == "paused" && paused.Events.Count == 3, "PUT /notification_subscriptions");

        Check((await subscriptions.DeleteAsync(completed.Id)).Deleted_at != null, "DELETE /api/v1/notification_subscriptions");
        Check((await legacySubscriptions.DeleteAsync(failures.Id)).Deleted_at != null, "DELETE /notification_subscriptions");
        Check((await Refused<ErrorDetail>(() => legacySubscriptions.GetAsync(completed.Id))).StatusCode == 404, "a deleted subscription: 404");
    }

    /// <summary>The attempt of delivery <paramref name="webhookId"/> once one is logged; fails after a bound.</summary>
    private static async Task<NotificationDelivery> DeliveredAsync(Func<Task<ICollection<NotificationDelivery>>> deliveries, Guid webhookId)
    {
        for (var i = 0; i < 300; i++)
        {
            if ((await deliveries()).FirstOrDefault(d => d.Webhook_id == webhookId) is { } attempt)
                return attempt;
            await Task.Delay(100);
        }
        throw new InvalidOperationException("failed: no attempt of delivery " + webhookId + " was logged within 30 s");
    }
}
