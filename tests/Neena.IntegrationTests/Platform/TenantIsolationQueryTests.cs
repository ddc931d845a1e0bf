using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.ApiKeys;
using Neena.IntegrationTests.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using Neena.Persistence.Analytics;
using Neena.Persistence.FlowRuns;
using Neena.Persistence.Idempotency;
using Neena.Persistence.Identity;
using Neena.Persistence.Sql;
using Npgsql;

namespace Neena.IntegrationTests.Platform;

/// <summary>
/// Every public statement of the Persistence query and command classes that the tenant scopes, called with organization
/// B and organization A's ids, finds nothing and changes nothing; with A, the same call finds A's rows (so the test can
/// fail). A public method added to those classes must be added here, or to the short list of statements that are not
/// tenant-scoped, or the first test fails.
/// </summary>
public sealed class TenantIsolationQueryTests(EngineOffFactory factory) : IClassFixture<EngineOffFactory>
{
    private static readonly Type[] QueryClasses = [typeof(FlowRunQueries), typeof(AnalyticsQueries), typeof(IdempotencyKeys), typeof(ApiKeyCommands), typeof(ApprovalAnswers)];

    /// <summary>The tenant-scoped statements <see cref="AnotherOrganizationsIds_ReadAndChangeNothing"/> calls.</summary>
    private static readonly string[] Covered =
    [
        "FlowRunQueries.GetAsync", "FlowRunQueries.ListAsync", "FlowRunQueries.ReadOneAsync", "FlowRunQueries.ReadPageAsync",
        "AnalyticsQueries.RunsAsync", "AnalyticsQueries.SummaryAsync",
        "IdempotencyKeys.ReserveAsync", "IdempotencyKeys.PollAsync", "IdempotencyKeys.CompleteAsync", "IdempotencyKeys.ReleaseAsync",
        "ApiKeyCommands.ForShare", "ApiKeyCommands.RevokeTreeAsync",
        "ApprovalAnswers.AnswerAsync",
    ];

    /// <summary>Statements for every organization at once, by design: the expiry sweep, and the last uses authentication recorded.</summary>
    private static readonly string[] NotTenantScoped = ["IdempotencyKeys.DeleteExpiredAsync", "ApiKeyCommands.RecordUsesAsync"];

    [Fact]
    public void EveryPublicStatement_IsCoveredHere()
    {
        var methods = QueryClasses
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => !m.IsSpecialName && m.DeclaringType == t)
                .Select(m => $"{t.Name}.{m.Name}"))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(Covered.Concat(NotTenantScoped).Order(StringComparer.Ordinal), methods);
    }

    [Fact]
    public async Task AnotherOrganizationsIds_ReadAndChangeNothing()
    {
        var a = await factory.CreateTenantAsync();
        var b = await factory.CreateTenantAsync();
        var (tenantA, tenantB) = (new Tenant(a.OrganizationId), new Tenant(b.OrganizationId));

        // Organization A: a flow, a request, an approved run with its task runs, keys in use.
        var client = factory.ClientWithBearer(a.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = Guid.Parse((await (await client.PostJsonAsync("/api/v1/flows/", new
        {
            name = "isolated",
            task_operations = new[] { new { name = "only", task_definition = echo, index = 0 } },
        })).ReadJsonAsync())["id"]!.GetValue<string>());
        var request = (await (await client.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Stay in A." })).ReadJsonAsync())["id"]!.GetValue<string>();
        var run = Guid.Parse((await (await client.PostJsonAsync("/api/v1/flow_runs/", new { flow, flow_request = request, approval_status = "approved" }))
            .ReadJsonAsync())["id"]!.GetValue<string>());
        var (childKey, _) = ApiKey.Issue(a.OrganizationId, a.UserId, "child", null, null, a.ApiKeyId);
        await using (var db = factory.CreateDbContext())
        {
            db.ApiKeys.Add(childKey);
            await db.SaveChangesAsync();
        }
        await using var dataSource = NpgsqlDataSource.Create(factory.ConnectionString);
        var keys = new IdempotencyKeys(dataSource);
        byte[] fingerprint = [1, 2, 3];
        var answer = new StoredAnswer(201, "application/json", null, "{}"u8.ToArray());
        Assert.IsType<Reservation.Owned>(await keys.ReserveAsync(tenantA, "done", fingerprint, TimeSpan.FromMinutes(5), default));
        await keys.CompleteAsync(tenantA, "done", answer, TimeSpan.FromHours(1), default);
        Assert.IsType<Reservation.Owned>(await keys.ReserveAsync(tenantA, "working", fingerprint, TimeSpan.FromMinutes(5), default));

        await using var asB = factory.CreateDbContext(b.OrganizationId);
        await using var asA = factory.CreateDbContext(a.OrganizationId);
        var everyRun = new FlowRunListFilter([]);
        var ofFlow = new FlowRunListFilter([], flow);
        var allRows = new AnalyticsRunsFilter(null, null, null, [], 0, 100);
        var summaryOfFlow = new AnalyticsSummaryFilter(flow, null, null);

        // Reads: nothing for B, A's rows for A.
        Assert.Null(await new FlowRunQueries(asB).GetAsync(tenantB, run, default));
        Assert.NotEmpty((await new FlowRunQueries(asA).GetAsync(tenantA, run, default))!.Tasks);
        Assert.Empty(await new FlowRunQueries(asB).ListAsync(tenantB, ofFlow, 0, 100, default));
        Assert.Empty(await new FlowRunQueries(asB).ListAsync(tenantB, everyRun, 0, 100, default));
        Assert.Equal(run, Assert.Single(await new FlowRunQueries(asA).ListAsync(tenantA, ofFlow, 0, 100, default)).Run.Id);
        Assert.Equal((false, 0, 0), await StreamOneAsync(new FlowRunQueries(asB), tenantB, run));
        Assert.Equal((true, 1, 1), await StreamOneAsync(new FlowRunQueries(asA), tenantA, run));
        Assert.Equal((0, 0), await StreamPageAsync(new FlowRunQueries(asB), tenantB, ofFlow));
        Assert.Equal((0, 0), await StreamPageAsync(new FlowRunQueries(asB), tenantB, everyRun));
        Assert.Equal((1, 1), await StreamPageAsync(new FlowRunQueries(asA), tenantA, ofFlow));
        Assert.Empty(await new AnalyticsQueries(asB).RunsAsync(tenantB, flow, allRows, default));
        Assert.Equal(run, Assert.Single(await new AnalyticsQueries(asA).RunsAsync(tenantA, flow, allRows, default)).Id);
        Assert.Empty((await new AnalyticsQueries(asB).SummaryAsync(tenantB, summaryOfFlow, default)).Days);
        Assert.Empty((await new AnalyticsQueries(asB).SummaryAsync(tenantB, new AnalyticsSummaryFilter(null, null, null), default)).Days);
        Assert.Equal(1, Assert.Single((await new AnalyticsQueries(asA).SummaryAsync(tenantA, summaryOfFlow, default)).Days).Runs);
        Assert.Equal((false, null), await keys.PollAsync(tenantB, "done", default));
        Assert.True((await keys.PollAsync(tenantA, "done", default)).Exists);
        Assert.False(await new ApiKeyCommands(asB).ForShare(childKey.Id).AnyAsync());
        Assert.True(await new ApiKeyCommands(asA).ForShare(childKey.Id).AnyAsync());

        // Changes: B's writes to A's keys touch nothing of A.
        await keys.CompleteAsync(tenantB, "working", answer, TimeSpan.FromHours(1), default);
        await keys.ReleaseAsync(tenantB, "working", default);
        Assert.Equal((true, null), await keys.PollAsync(tenantA, "working", default));
        Assert.IsType<Reservation.Owned>(await keys.ReserveAsync(tenantB, "done", [9], TimeSpan.FromMinutes(5), default));
        Assert.IsType<Reservation.Mismatch>(await keys.ReserveAsync(tenantA, "done", [9], TimeSpan.FromMinutes(5), default));
        Assert.Equal(0, await RevokeAsync(asB, tenantB, childKey.Id));
        Assert.Equal(1, await RevokeAsync(asA, tenantA, childKey.Id));
        await keys.ReleaseAsync(tenantA, "working", default);
        Assert.Equal((false, null), await keys.PollAsync(tenantA, "working", default));

        // An approval step of A's run (made waiting here: no engine runs in this factory): B's answer finds nothing.
        var step = (await new FlowRunQueries(asA).GetAsync(tenantA, run, default))!.Tasks.Single().Id;
        await using (var wait = dataSource.CreateCommand("UPDATE task_runs SET status = 'waiting' WHERE id = $1"))
        {
            wait.Parameters.Add(new NpgsqlParameter { Value = step });
            await wait.ExecuteNonQueryAsync();
        }
        Assert.Equal(ApprovalAnswerOutcome.NotFound, (await AnswerAsync(asB, tenantB, step)).Outcome);
        Assert.Equal(ApprovalAnswerOutcome.Applied, (await AnswerAsync(asA, tenantA, step)).Outcome);
    }

    private static async Task<ApprovalAnswer> AnswerAsync(Neena.Persistence.NeenaDbContext db, Tenant tenant, Guid taskRun)
    {
        await using var transaction = await db.Database.BeginTransactionAsync();
        var answer = await new ApprovalAnswers(db).AnswerAsync(tenant, taskRun, approve: true, "test@example.com", DateTime.UtcNow, null, default);
        await transaction.CommitAsync();
        return answer;
    }

    private static async Task<int> RevokeAsync(Neena.Persistence.NeenaDbContext db, Tenant tenant, Guid key)
    {
        await using var transaction = await db.Database.BeginTransactionAsync();
        var revoked = await new ApiKeyCommands(db).RevokeTreeAsync(tenant, key, DateTime.UtcNow, "test@example.com", default);
        await transaction.CommitAsync();
        return revoked;
    }

    // The streaming reads hand their rows to a writer: count the runs and the task-run rows it is given.
    private static async Task<(bool Found, int Runs, int Tasks)> StreamOneAsync(FlowRunQueries queries, Tenant tenant, Guid run)
    {
        var (runs, tasks) = (0, 0);
        var found = await queries.ReadOneAsync(tenant, run, async (rows, reader) =>
        {
            runs = rows.Count;
            while (await reader.ReadAsync())
                tasks++;
        }, default);
        return (found, runs, tasks);
    }

    private static async Task<(int Runs, int Tasks)> StreamPageAsync(FlowRunQueries queries, Tenant tenant, FlowRunListFilter filter)
    {
        var (runs, tasks) = (0, 0);
        await queries.ReadPageAsync(tenant, filter, 0, 100, async (rows, reader) =>
        {
            runs = rows.Count;
            while (reader is not null && await reader.ReadAsync())
                tasks++;
        }, default);
        return (runs, tasks);
    }
}
