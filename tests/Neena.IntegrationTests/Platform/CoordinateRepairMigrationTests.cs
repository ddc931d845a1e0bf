using System.Net;
using Neena.IntegrationTests.Authoring;
using Neena.IntegrationTests.Infrastructure;
using Npgsql;

namespace Neena.IntegrationTests.Platform;

/// <summary>Rows stored before non-finite coordinates were refused: the repair migration makes every flow list readable again.</summary>
public sealed class CoordinateRepairMigrationTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    [Fact]
    public async Task RepairNonFiniteCoordinates_RowsStoredBefore_FlowsAreReadableAgainWithNullCoordinates()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var flowId = Guid.Parse(await FlowsTests.CreateEchoFlowAsync(factory, client));
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        await Migrations.MigrateToAsync(factory.ConnectionString, Migrations.Before("RepairNonFiniteCoordinates"));
        await ExecuteAsync($"""
            INSERT INTO task_operations (id, flow_id, name, task_definition_id, x, y, index, sorted_index, created_date, modified_date)
            VALUES (gen_random_uuid(), '{flowId}', 'nan', '{echo}', 'NaN', 'Infinity', 1, 1, now(), now()),
                   (gen_random_uuid(), '{flowId}', 'inf', '{echo}', 2.5, '-Infinity', 2, 2, now(), now());
            """);
        Assert.Equal(HttpStatusCode.InternalServerError, (await client.GetAsync("/api/v1/flows/all")).StatusCode);

        await Migrations.ApplyAsync(factory.ConnectionString);

        var list = await client.GetAsync("/api/v1/flows/all");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var operations = (await list.ReadJsonAsync())[0]!["task_operations"]!.AsArray().ToDictionary(o => o!["name"]!.GetValue<string>());
        Assert.Null(operations["nan"]!["x"]);
        Assert.Null(operations["nan"]!["y"]);
        Assert.Equal(2.5, operations["inf"]!["x"]!.GetValue<double>());
        Assert.Null(operations["inf"]!["y"]);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/flows/?id={flowId}")).StatusCode);
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM task_operations WHERE x IN ('NaN', 'Infinity', '-Infinity') OR y IN ('NaN', 'Infinity', '-Infinity')"));
    }

    [Fact]
    public async Task RepairNonFiniteCoordinates_Applied_DatabaseRefusesNonFiniteCoordinates()
    {
        var tenant = await factory.CreateTenantAsync();
        var flowId = Guid.Parse(await FlowsTests.CreateEchoFlowAsync(factory, factory.ClientWithBearer(tenant.ApiKey)));

        var e = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync($"UPDATE task_operations SET y = 'NaN' WHERE flow_id = '{flowId}'"));

        Assert.Equal(PostgresErrorCodes.CheckViolation, e.SqlState);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
