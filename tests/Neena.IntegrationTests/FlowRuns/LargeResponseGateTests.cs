using System.Net;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.FlowRuns;

/// <summary>A server that builds and writes one large list answer at a time.</summary>
public sealed class OneLargeResponseFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:Enabled"] = "false",
        ["Performance:MaxConcurrentLargeResponses"] = "1",
    };
}

/// <summary>
/// The bulkhead on large lists must never lose a slot: every request that took one gives it back however it ended
/// (answered, refused, or abandoned by its client), or the lists would stop answering for good.
/// </summary>
public sealed class LargeResponseGateTests(OneLargeResponseFactory factory) : IClassFixture<OneLargeResponseFactory>
{
    // Only a guard against a lost slot hanging the suite; nothing here measures time.
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Lists_ManyAtOnceAndSomeAbandoned_EveryRequestIsAnsweredInTurn()
    {
        var tenant = await factory.CreateTenantAsync();
        var v1 = factory.ClientWithBearer(tenant.ApiKey);
        var legacy = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = (await (await v1.PostJsonAsync("/api/v1/flows/", new
        {
            name = "gate",
            task_operations = new[] { new { name = "op", task_definition = echo, index = 0, parameters = new { message = "m" } } },
            dependencies = Array.Empty<object>(),
        })).ReadJsonAsync())["id"]!.GetValue<string>();
        var request = (await (await v1.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Gate the lists." })).ReadJsonAsync())["id"]!.GetValue<string>();
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await v1.PostJsonAsync("/api/v1/flow_runs/", new { flow, flow_request = request })).StatusCode);
        using var guard = new CancellationTokenSource(Hang);

        // Abandoned by their clients once the answer started, or before it did.
        for (var i = 0; i < 4; i++)
        {
            using var abandoned = await v1.GetAsync("/api/v1/flow_runs/all", HttpCompletionOption.ResponseHeadersRead, guard.Token);
            Assert.Equal(HttpStatusCode.OK, abandoned.StatusCode);
        }
        using (var cancelled = new CancellationTokenSource())
        {
            var gone = v1.GetAsync("/api/v1/flow_runs/all", cancelled.Token);
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gone);
        }
        // Refused after the gate (unknown flow) on the per-flow list.
        Assert.Equal(HttpStatusCode.NotFound, (await v1.GetAsync($"/api/v1/flow_runs/all_for_flow_id?flow_id={Guid.NewGuid()}", guard.Token)).StatusCode);

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => (i % 3) switch
        {
            0 => v1.GetAsync("/api/v1/flow_runs/all", guard.Token),
            1 => legacy.GetAsync("/flow_runs/all", guard.Token),
            _ => v1.GetAsync($"/api/v1/flow_runs/all_for_flow_id?flow_id={flow}", guard.Token),
        }));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        foreach (var answer in answers)
            Assert.Equal(3, (await answer.ReadJsonAsync()).AsArray().Count);
    }
}
