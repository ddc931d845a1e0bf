using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Neena.Harness;
using Neena.ReliabilityTests.Infrastructure;
using Xunit.Abstractions;

namespace Neena.ReliabilityTests;

/// <summary>
/// A delivery is stored before the platform hears 202, so a server killed with SIGKILL right after answering loses
/// nothing: the restarted server makes it into exactly one flow request and one run, which completes.
/// </summary>
public sealed class WebhookCrashTests(ITestOutputHelper output)
{
    private const string PublicBaseUrl = "https://hooks.example.test";
    private const string AppSecret = "trello-app-secret-0123456789abcdef";

    [Fact]
    public async Task Delivery_answered_202_then_a_SIGKILL_is_processed_after_the_restart_exactly_once()
    {
        var (host, connectionString) = await SharedPostgres.CreateDatabaseAsync("webhook");
        NeenaServerProcess? first = null;
        NeenaServerProcess? second = null;
        try
        {
            const string email = "webhook-crash@example.com";
            var key = await NeenaServerProcess.CreateApiKeyAsync(connectionString, email);
            // The first server takes deliveries but does not process them: the crash always comes between the two.
            var settings = Servers.Settings();
            settings["Webhooks__PublicBaseUrl"] = PublicBaseUrl;
            settings["Webhooks__ProcessorEnabled"] = "false";
            first = await NeenaServerProcess.StartAsync(connectionString, "webhook-first", settings, log: line => Servers.TryWrite(output, line));
            using var api = new NeenaClient(first.BaseUrl, key);

            await api.PostJsonAsync("api/v1/integration_credentials/", new JsonObject
            {
                ["integration_short_name"] = "trello",
                ["name"] = "board webhooks",
                ["credentials"] = new JsonObject { ["api_key"] = "k0123456789", ["token"] = "t0123456789", ["app_secret"] = AppSecret },
            });
            var echo = await api.TaskDefinitionIdAsync("Echo");
            var flow = await api.CreateFlowAsync("echo the comment", [new FlowOperation(0, "echo", echo, new JsonObject { ["message"] = "{{request.metadata.text}}" })], []);
            var operation = await CreateOperationAsync(connectionString, email, flow);

            var delivery = TrelloDelivery(operation);
            using var platform = new HttpClient(); // Trello has no Neena credential
            using var response = await platform.SendAsync(Signed(new Uri(first.BaseUrl, $"webhooks/{operation}"), delivery, $"{PublicBaseUrl}/webhooks/{operation}"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var triggerRun = Guid.Parse(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["trigger_run_id"]!.GetValue<string>());
            Assert.Equal("received", await StatusAsync(connectionString, triggerRun));

            await first.KillAsync();
            output.WriteLine($"killed the first server with trigger run {triggerRun} received");

            settings["Webhooks__ProcessorEnabled"] = "true";
            second = await NeenaServerProcess.StartAsync(connectionString, "webhook-second", settings, log: line => Servers.TryWrite(output, line));
            var completed = await Db.WaitUntilAsync(async () => await StatusAsync(connectionString, triggerRun) == "completed", TimeSpan.FromSeconds(120));
            Assert.True(completed, $"The trigger run was not completed after the restart: {await StatusAsync(connectionString, triggerRun)}\n{second.RecentOutput}");

            var runs = await Db.RowsAsync(connectionString, "SELECT flow_run_id FROM trigger_runs WHERE id = $1", triggerRun);
            var run = (Guid)runs.Single()[0];
            var finished = await Db.WaitUntilAsync(async () => await Db.UnfinishedAsync(connectionString, [run]) == 0, TimeSpan.FromSeconds(120));
            Assert.True(finished, await Db.DescribeAsync(connectionString, [run]));
            using var api2 = new NeenaClient(second.BaseUrl, key);
            var read = await api2.GetRunAsync(run);
            Assert.Equal("completed", read["status"]!.GetValue<string>());
            Assert.Equal("Ship it on Friday", read["task_runs"]![0]!["result"]!["message"]!.GetValue<string>());
            Assert.Equal(1, await Db.CountAsync(connectionString, "SELECT count(*) FROM flow_requests"));
            Assert.Equal(1, await Db.CountAsync(connectionString, "SELECT count(*) FROM flow_runs"));
            Assert.Equal(1, await Db.CountAsync(connectionString,
                "SELECT count(*) FROM flow_results WHERE flow_run_id = $1 AND trigger_run_id = $2 AND integration_entity_id = '5f0c1e2d3b4a596877661234'", run, triggerRun));

            // The platform retries the same delivery after the crash: recognised, not processed again.
            using var repeat = await platform.SendAsync(Signed(new Uri(second.BaseUrl, $"webhooks/{operation}"), delivery, $"{PublicBaseUrl}/webhooks/{operation}"));
            Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
            Assert.Equal(1, await Db.CountAsync(connectionString, "SELECT count(*) FROM flow_runs"));
        }
        finally
        {
            if (first is not null)
                await first.DisposeAsync();
            if (second is not null)
                await second.DisposeAsync();
            await host.DropDatabaseAsync(connectionString);
        }
    }

    /// <summary>A Trello "Comment Added" operation of the user's organization, stored directly (its CRUD API is not part of this suite).</summary>
    private static async Task<Guid> CreateOperationAsync(string connectionString, string email, Guid flow)
    {
        var id = Guid.CreateVersion7();
        var inserted = await Db.CountAsync(connectionString, """
            WITH made AS (
                INSERT INTO webhook_trigger_operations (id, organization_id, name, webhook_trigger_definition_id, template_body, status, flow_id,
                                                        created_date, modified_date, created_by_email, modified_by_email)
                SELECT $1, u.organization_id, 'comments', d.id, 'Answer <{member}> on card <{card_id}>: {{text}}', 'active', $2, now(), now(), u.email, u.email
                FROM users u, webhook_trigger_definitions d JOIN integrations i ON i.id = d.integration_id
                WHERE u.email = $3 AND i.short_name = 'trello' AND d.trigger_name = 'Comment Added'
                RETURNING 1)
            SELECT count(*) FROM made
            """, id, flow, email);
        Assert.Equal(1, inserted);
        return id;
    }

    private static byte[] TrelloDelivery(Guid operation) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["action"] = new JsonObject
        {
            ["id"] = "6750a1b2c3d4e5f6a7b8c9f" + operation.ToString("N")[^1],
            ["idMemberCreator"] = "5a1b2c3d4e5f60718293a4b5",
            ["type"] = "commentCard",
            ["date"] = "2026-12-04T10:15:30.123Z",
            ["data"] = new JsonObject
            {
                ["text"] = "Ship it on Friday",
                ["card"] = new JsonObject { ["id"] = "5f0c1e2d3b4a596877661234", ["name"] = "Launch", ["idShort"] = 7, ["shortLink"] = "AbCd1234" },
                ["board"] = new JsonObject { ["id"] = "5f0c1e2d3b4a596877665544", ["name"] = "Roadmap", ["shortLink"] = "XyZw9876" },
            },
            ["memberCreator"] = new JsonObject { ["id"] = "5a1b2c3d4e5f60718293a4b5", ["username"] = "grace", ["fullName"] = "Grace Hopper" },
        },
        ["model"] = new JsonObject { ["id"] = "5f0c1e2d3b4a596877665544", ["name"] = "Roadmap" },
    }.ToJsonString());

    /// <summary>As Trello signs a delivery: base64 HMAC-SHA1 with the app secret over the body followed by the callback URL.</summary>
    private static HttpRequestMessage Signed(Uri target, byte[] body, string callbackUrl)
    {
#pragma warning disable CA5350 // Trello's scheme is HMAC-SHA1.
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(AppSecret));
#pragma warning restore CA5350
        var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Trello-Webhook", Convert.ToBase64String(hmac.ComputeHash([.. body, .. Encoding.UTF8.GetBytes(callbackUrl)])));
        return request;
    }

    private static async Task<string?> StatusAsync(string connectionString, Guid triggerRun) =>
        (await Db.RowsAsync(connectionString, "SELECT status FROM trigger_runs WHERE id = $1", triggerRun)).SingleOrDefault()?[0] as string;
}
