using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class WebhookTriggersAndTaskCredentials : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "integration_credential_id",
                table: "task_runs",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "integration_credential_id",
                table: "task_operations",
                type: "uuid",
                nullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "integration_entity_id",
                table: "flow_results",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true,
                oldClrType: typeof(Guid),
                oldType: "uuid",
                oldNullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "integration_id",
                table: "flow_results",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "webhook_trigger_operations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    webhook_trigger_definition_id = table.Column<Guid>(type: "uuid", nullable: false),
                    template_body = table.Column<string>(type: "character varying(10000)", maxLength: 10000, nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    flow_id = table.Column<Guid>(type: "uuid", nullable: true),
                    integration_credential_id = table.Column<Guid>(type: "uuid", nullable: true),
                    protected_signing_secret = table.Column<string>(type: "text", nullable: true),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by_email = table.Column<string>(type: "text", nullable: true),
                    modified_by_email = table.Column<string>(type: "text", nullable: true),
                    deleted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_webhook_trigger_operations", x => x.id);
                    table.ForeignKey(
                        name: "fk_webhook_trigger_operations_flows_flow_id",
                        column: x => x.flow_id,
                        principalTable: "flows",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_webhook_trigger_operations_integration_credentials_integrat",
                        column: x => x.integration_credential_id,
                        principalTable: "integration_credentials",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_webhook_trigger_operations_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_webhook_trigger_operations_webhook_trigger_definitions_webh",
                        column: x => x.webhook_trigger_definition_id,
                        principalTable: "webhook_trigger_definitions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "trigger_runs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    webhook_trigger_operation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    @event = table.Column<string>(name: "event", type: "jsonb", nullable: true),
                    delivery_id = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    integration_entity_id = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    flow_request_id = table.Column<Guid>(type: "uuid", nullable: true),
                    flow_run_id = table.Column<Guid>(type: "uuid", nullable: true),
                    error = table.Column<string>(type: "text", nullable: true),
                    lease_owner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    lease_expires_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by_email = table.Column<string>(type: "text", nullable: true),
                    modified_by_email = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_trigger_runs", x => x.id);
                    table.ForeignKey(
                        name: "fk_trigger_runs_flow_requests_flow_request_id",
                        column: x => x.flow_request_id,
                        principalTable: "flow_requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_trigger_runs_flow_runs_flow_run_id",
                        column: x => x.flow_run_id,
                        principalTable: "flow_runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_trigger_runs_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_trigger_runs_webhook_trigger_operations_webhook_trigger_ope",
                        column: x => x.webhook_trigger_operation_id,
                        principalTable: "webhook_trigger_operations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_task_operations_integration_credential_id",
                table: "task_operations",
                column: "integration_credential_id");

            migrationBuilder.CreateIndex(
                name: "ix_flow_results_organization_id_created_date_id",
                table: "flow_results",
                columns: new[] { "organization_id", "created_date", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_flow_results_organization_id_integration_entity_id_created_",
                table: "flow_results",
                columns: new[] { "organization_id", "integration_entity_id", "created_date" },
                descending: new[] { false, false, true },
                filter: "integration_entity_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_flow_results_trigger_run_id",
                table: "flow_results",
                column: "trigger_run_id");

            migrationBuilder.CreateIndex(
                name: "ix_trigger_runs_claimable",
                table: "trigger_runs",
                columns: new[] { "lease_expires_at", "created_date" },
                filter: "status IN ('received', 'processing')");

            migrationBuilder.CreateIndex(
                name: "ix_trigger_runs_flow_request_id",
                table: "trigger_runs",
                column: "flow_request_id");

            migrationBuilder.CreateIndex(
                name: "ix_trigger_runs_flow_run_id",
                table: "trigger_runs",
                column: "flow_run_id");

            migrationBuilder.CreateIndex(
                name: "ix_trigger_runs_organization_id_created_date_id",
                table: "trigger_runs",
                columns: new[] { "organization_id", "created_date", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_trigger_runs_webhook_trigger_operation_id_created_date_id",
                table: "trigger_runs",
                columns: new[] { "webhook_trigger_operation_id", "created_date", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_trigger_runs_webhook_trigger_operation_id_delivery_id",
                table: "trigger_runs",
                columns: new[] { "webhook_trigger_operation_id", "delivery_id" },
                unique: true,
                filter: "delivery_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_webhook_trigger_operations_flow_id",
                table: "webhook_trigger_operations",
                column: "flow_id");

            migrationBuilder.CreateIndex(
                name: "ix_webhook_trigger_operations_integration_credential_id",
                table: "webhook_trigger_operations",
                column: "integration_credential_id");

            migrationBuilder.CreateIndex(
                name: "ix_webhook_trigger_operations_organization_id_created_date_id",
                table: "webhook_trigger_operations",
                columns: new[] { "organization_id", "created_date", "id" },
                descending: new[] { false, true, true },
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_webhook_trigger_operations_webhook_trigger_definition_id",
                table: "webhook_trigger_operations",
                column: "webhook_trigger_definition_id");

            migrationBuilder.AddForeignKey(
                name: "fk_task_operations_integration_credentials_integration_credent",
                table: "task_operations",
                column: "integration_credential_id",
                principalTable: "integration_credentials",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_task_operations_integration_credentials_integration_credent",
                table: "task_operations");

            migrationBuilder.DropTable(
                name: "trigger_runs");

            migrationBuilder.DropTable(
                name: "webhook_trigger_operations");

            migrationBuilder.DropIndex(
                name: "ix_task_operations_integration_credential_id",
                table: "task_operations");

            migrationBuilder.DropIndex(
                name: "ix_flow_results_organization_id_created_date_id",
                table: "flow_results");

            migrationBuilder.DropIndex(
                name: "ix_flow_results_organization_id_integration_entity_id_created_",
                table: "flow_results");

            migrationBuilder.DropIndex(
                name: "ix_flow_results_trigger_run_id",
                table: "flow_results");

            migrationBuilder.DropColumn(
                name: "integration_credential_id",
                table: "task_runs");

            migrationBuilder.DropColumn(
                name: "integration_credential_id",
                table: "task_operations");

            migrationBuilder.DropColumn(
                name: "integration_id",
                table: "flow_results");

            // Platform ids that are not uuids (Trello's) cannot go back; they are dropped rather than failing the downgrade.
            migrationBuilder.Sql("""
                ALTER TABLE flow_results ALTER COLUMN integration_entity_id TYPE uuid
                USING CASE WHEN integration_entity_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN integration_entity_id::uuid END
                """);
        }
    }
}
