using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FlowRuns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "flow_runs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    flow_id = table.Column<Guid>(type: "uuid", nullable: false),
                    flow_request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    approval_status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    triggered_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    start_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    end_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    triggered_by = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    lease_owner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    lease_expires_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by_email = table.Column<string>(type: "text", nullable: true),
                    modified_by_email = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_flow_runs", x => x.id);
                    table.ForeignKey(
                        name: "fk_flow_runs_flow_requests_flow_request_id",
                        column: x => x.flow_request_id,
                        principalTable: "flow_requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_flow_runs_flows_flow_id",
                        column: x => x.flow_id,
                        principalTable: "flows",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_flow_runs_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "flow_results",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    flow_run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    body = table.Column<string>(type: "text", nullable: false),
                    trigger_run_id = table.Column<Guid>(type: "uuid", nullable: true),
                    integration_entity_id = table.Column<Guid>(type: "uuid", nullable: true),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by_email = table.Column<string>(type: "text", nullable: true),
                    modified_by_email = table.Column<string>(type: "text", nullable: true),
                    deleted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_flow_results", x => x.id);
                    table.ForeignKey(
                        name: "fk_flow_results_flow_runs_flow_run_id",
                        column: x => x.flow_run_id,
                        principalTable: "flow_runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "task_runs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    flow_run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    task_operation_index = table.Column<int>(type: "integer", nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    start_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    end_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    task_prep_prompt = table.Column<string>(type: "jsonb", nullable: true),
                    task_prep_answer = table.Column<string>(type: "jsonb", nullable: true),
                    result = table.Column<string>(type: "jsonb", nullable: true),
                    error = table.Column<string>(type: "text", nullable: true),
                    attempt = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    task_operation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    task_definition_id = table.Column<Guid>(type: "uuid", nullable: false),
                    operation_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    instruction = table.Column<string>(type: "text", nullable: true),
                    parameters = table.Column<string>(type: "jsonb", nullable: true),
                    depends_on = table.Column<List<int>>(type: "integer[]", nullable: false),
                    sorted_index = table.Column<int>(type: "integer", nullable: false),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by_email = table.Column<string>(type: "text", nullable: true),
                    modified_by_email = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_task_runs", x => x.id);
                    table.ForeignKey(
                        name: "fk_task_runs_flow_runs_flow_run_id",
                        column: x => x.flow_run_id,
                        principalTable: "flow_runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_flow_results_flow_run_id",
                table: "flow_results",
                column: "flow_run_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_flow_results_organization_id",
                table: "flow_results",
                column: "organization_id");

            migrationBuilder.CreateIndex(
                name: "ix_flow_runs_claimable",
                table: "flow_runs",
                columns: new[] { "lease_expires_at", "start_time" },
                filter: "status = 'in_progress'");

            migrationBuilder.CreateIndex(
                name: "ix_flow_runs_flow_id_created_date",
                table: "flow_runs",
                columns: new[] { "flow_id", "created_date" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "ix_flow_runs_flow_request_id",
                table: "flow_runs",
                column: "flow_request_id");

            migrationBuilder.CreateIndex(
                name: "ix_flow_runs_organization_id_created_date_id",
                table: "flow_runs",
                columns: new[] { "organization_id", "created_date", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_flow_runs_organization_id_status_created_date",
                table: "flow_runs",
                columns: new[] { "organization_id", "status", "created_date" },
                descending: new[] { false, false, true });

            migrationBuilder.CreateIndex(
                name: "ix_flow_runs_organization_id_triggered_time",
                table: "flow_runs",
                columns: new[] { "organization_id", "triggered_time" });

            migrationBuilder.CreateIndex(
                name: "ix_task_runs_flow_run_id_task_operation_index",
                table: "task_runs",
                columns: new[] { "flow_run_id", "task_operation_index" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_task_runs_organization_id",
                table: "task_runs",
                column: "organization_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "flow_results");

            migrationBuilder.DropTable(
                name: "task_runs");

            migrationBuilder.DropTable(
                name: "flow_runs");
        }
    }
}
