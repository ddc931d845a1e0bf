using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RunObservability : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "completion_tokens",
                table: "flow_runs",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "created_by_id",
                table: "flow_runs",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "created_by_type",
                table: "flow_runs",
                type: "character varying(20)",
                maxLength: 20,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "prompt_tokens",
                table: "flow_runs",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "ran_by_id",
                table: "flow_runs",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ran_by_type",
                table: "flow_runs",
                type: "character varying(20)",
                maxLength: 20,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "ran_by_user_id",
                table: "flow_runs",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "retry_count",
                table: "flow_runs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "run_type",
                table: "flow_runs",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                defaultValue: "manual");

            // Runs from before these columns: a webhook's run says so in triggered_by; the rest were created through the API
            // and are taken as manual (whether a JWT or a key created them was not recorded then). Ended runs get their
            // token totals, as an ending now records them.
            migrationBuilder.Sql("UPDATE flow_runs SET run_type = 'webhook' WHERE triggered_by LIKE 'webhook:%'");
            migrationBuilder.Sql("""
                UPDATE flow_runs r SET prompt_tokens = t.prompt, completion_tokens = t.completion
                FROM (SELECT flow_run_id, sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion FROM task_runs GROUP BY flow_run_id) t
                WHERE t.flow_run_id = r.id AND r.end_time IS NOT NULL
                """);
            migrationBuilder.Sql("UPDATE flow_runs SET prompt_tokens = 0, completion_tokens = 0 WHERE end_time IS NOT NULL AND prompt_tokens IS NULL");

            migrationBuilder.AddColumn<List<string>>(
                name: "tags",
                table: "flow_runs",
                type: "text[]",
                nullable: false,
                defaultValueSql: "'{}'::text[]");

            migrationBuilder.CreateIndex(
                name: "ix_flow_runs_analytics_flow",
                table: "flow_runs",
                columns: new[] { "organization_id", "flow_id", "triggered_time", "id" },
                descending: new[] { false, false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_flow_runs_analytics_user",
                table: "flow_runs",
                columns: new[] { "organization_id", "ran_by_user_id", "triggered_time" },
                descending: new[] { false, false, true });

            migrationBuilder.CreateIndex(
                name: "ix_flow_runs_tags",
                table: "flow_runs",
                column: "tags")
                .Annotation("Npgsql:IndexMethod", "gin");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_flow_runs_analytics_flow",
                table: "flow_runs");

            migrationBuilder.DropIndex(
                name: "ix_flow_runs_analytics_user",
                table: "flow_runs");

            migrationBuilder.DropIndex(
                name: "ix_flow_runs_tags",
                table: "flow_runs");

            migrationBuilder.DropColumn(
                name: "completion_tokens",
                table: "flow_runs");

            migrationBuilder.DropColumn(
                name: "created_by_id",
                table: "flow_runs");

            migrationBuilder.DropColumn(
                name: "created_by_type",
                table: "flow_runs");

            migrationBuilder.DropColumn(
                name: "prompt_tokens",
                table: "flow_runs");

            migrationBuilder.DropColumn(
                name: "ran_by_id",
                table: "flow_runs");

            migrationBuilder.DropColumn(
                name: "ran_by_type",
                table: "flow_runs");

            migrationBuilder.DropColumn(
                name: "ran_by_user_id",
                table: "flow_runs");

            migrationBuilder.DropColumn(
                name: "retry_count",
                table: "flow_runs");

            migrationBuilder.DropColumn(
                name: "run_type",
                table: "flow_runs");

            migrationBuilder.DropColumn(
                name: "tags",
                table: "flow_runs");
        }
    }
}
