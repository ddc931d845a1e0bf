using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Neena.Api.Workers;
using Neena.IntegrationTests.Infrastructure;
using Npgsql;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Operations;

/// <summary>Runs kept for 30 days; the engine is off, so runs stay where the API and the test put them.</summary>
public sealed class RetentionFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:Enabled"] = "false",
        ["Retention:FlowRunDays"] = "30",
        ["Retention:IntervalMinutes"] = "600",
        ["Retention:BatchSize"] = "2",
    };
}

public sealed class RetentionTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    private async Task AgeAsync(string runId, int days, bool endToo = true)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var age = new NpgsqlCommand(
            "UPDATE flow_runs SET modified_date = now() - make_interval(days => $2), triggered_time = now() - make_interval(days => $2)" +
            (endToo ? ", end_time = now() - make_interval(days => $2)" : "") + " WHERE id = $1", connection)
        {
            Parameters = { new() { Value = Guid.Parse(runId) }, new() { Value = days } },
        };
        Assert.Equal(1, await age.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task DeleteExpired_FinishedRunsPastTheLimit_AreDeletedWithTaskRunsAndResultsAndOpenOrRecentOnesStay()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "kept or not", [new Engine.Op(0, echo, new { message = "a" }), new Engine.Op(1, echo, new { message = "b" })], [(0, 1)]);
        var request = await CreateRequestAsync(client, flow);

        // Old and finished, with task runs and a flow result: three of them, so that the batches of two take two rounds.
        var old = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = await CreateRunAsync(client, flow, request);
            Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={id}", null)).StatusCode);
            await AgeAsync(id, 40);
            old.Add(id);
        }
        var recent = await CreateRunAsync(client, flow, request);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={recent}", null)).StatusCode);
        await AgeAsync(recent, 10);
        var oldPending = await CreateRunAsync(client, flow, request, approved: false);
        await AgeAsync(oldPending, 90, endToo: false);
        var oldRunning = await CreateRunAsync(client, flow, request);
        await AgeAsync(oldRunning, 90, endToo: false);
        var ids = old.Select(Guid.Parse).ToList();
        await using (var db = factory.CreateDbContext(tenant.OrganizationId))
        {
            Assert.Equal(6, await db.TaskRuns.CountAsync(t => ids.Contains(t.FlowRunId)));
            Assert.Equal(3, await db.FlowResults.CountAsync(r => ids.Contains(r.FlowRunId)));
        }

        long measured = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RunRetentionService.MeterName && instrument.Name == "neena.retention.flow_runs.deleted")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref measured, value));
        listener.Start();

        var deleted = await factory.Services.GetRequiredService<RunRetentionService>().DeleteExpiredAsync(CancellationToken.None);

        Assert.Equal(3, deleted);
        Assert.Equal(3, Interlocked.Read(ref measured));
        foreach (var id in old)
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/flow_runs/?id={id}")).StatusCode);
        foreach (var id in new[] { recent, oldPending, oldRunning })
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/flow_runs/?id={id}")).StatusCode);
        await using (var db = factory.CreateDbContext(tenant.OrganizationId))
        {
            Assert.Equal(0, await db.TaskRuns.CountAsync(t => ids.Contains(t.FlowRunId)));
            Assert.Equal(0, await db.FlowResults.CountAsync(r => ids.Contains(r.FlowRunId)));
            Assert.Equal(4, await db.TaskRuns.CountAsync()); // the recent run's and the running one's
        }
        Assert.Equal(0, await factory.Services.GetRequiredService<RunRetentionService>().DeleteExpiredAsync(CancellationToken.None));
    }
}

/// <summary>The default, <c>Retention:FlowRunDays</c> = 0: every run is kept.</summary>
public sealed class RetentionOffTests(FlowRuns.EngineOffFactory factory) : IClassFixture<FlowRuns.EngineOffFactory>
{
    [Fact]
    public async Task DeleteExpired_ByDefault_KeepsEvenAVeryOldFinishedRun()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "kept", [new Engine.Op(0, echo, new { message = "a" })]);
        var id = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={id}", null)).StatusCode);
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var age = new NpgsqlCommand("UPDATE flow_runs SET end_time = now() - interval '3650 days' WHERE id = $1", connection) { Parameters = { new() { Value = Guid.Parse(id) } } };
            await age.ExecuteNonQueryAsync();
        }

        Assert.Equal(0, await factory.Services.GetRequiredService<RunRetentionService>().DeleteExpiredAsync(CancellationToken.None));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/flow_runs/?id={id}")).StatusCode);
    }
}
