using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ScheduleTriggers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<Guid>(
                name: "webhook_trigger_operation_id",
                table: "trigger_runs",
                type: "uuid",
                nullable: true,
                oldClrType: typeof(Guid),
                oldType: "uuid");

            migrationBuilder.AddColumn<DateTime>(
                name: "fire_time",
                table: "trigger_runs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "schedule_trigger_operation_id",
                table: "trigger_runs",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "schedule_trigger_operations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    cron = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    time_zone = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    template_body = table.Column<string>(type: "character varying(10000)", maxLength: 10000, nullable: false),
                    flow_id = table.Column<Guid>(type: "uuid", nullable: true),
                    requires_approval = table.Column<bool>(type: "boolean", nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    missed_fires = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    last_fire_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    active_since = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by_email = table.Column<string>(type: "text", nullable: true),
                    modified_by_email = table.Column<string>(type: "text", nullable: true),
                    deleted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_schedule_trigger_operations", x => x.id);
                    table.ForeignKey(
                        name: "fk_schedule_trigger_operations_flows_flow_id",
                        column: x => x.flow_id,
                        principalTable: "flows",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_schedule_trigger_operations_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_trigger_runs_schedule_trigger_operation_id_fire_time",
                table: "trigger_runs",
                columns: new[] { "schedule_trigger_operation_id", "fire_time" },
                unique: true);

            migrationBuilder.AddCheckConstraint(
                name: "ck_trigger_runs_one_operation",
                table: "trigger_runs",
                sql: "(webhook_trigger_operation_id IS NULL) <> (schedule_trigger_operation_id IS NULL) AND (schedule_trigger_operation_id IS NULL) = (fire_time IS NULL)");

            migrationBuilder.CreateIndex(
                name: "ix_schedule_trigger_operations_active",
                table: "schedule_trigger_operations",
                column: "status",
                filter: "deleted_at IS NULL AND status = 'active'");

            migrationBuilder.CreateIndex(
                name: "ix_schedule_trigger_operations_flow_id",
                table: "schedule_trigger_operations",
                column: "flow_id");

            migrationBuilder.CreateIndex(
                name: "ix_schedule_trigger_operations_organization_id_created_date_id",
                table: "schedule_trigger_operations",
                columns: new[] { "organization_id", "created_date", "id" },
                descending: new[] { false, true, true },
                filter: "deleted_at IS NULL");

            migrationBuilder.AddForeignKey(
                name: "fk_trigger_runs_schedule_trigger_operations_schedule_trigger_o",
                table: "trigger_runs",
                column: "schedule_trigger_operation_id",
                principalTable: "schedule_trigger_operations",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_trigger_runs_schedule_trigger_operations_schedule_trigger_o",
                table: "trigger_runs");

            migrationBuilder.DropTable(
                name: "schedule_trigger_operations");

            migrationBuilder.DropIndex(
                name: "ix_trigger_runs_schedule_trigger_operation_id_fire_time",
                table: "trigger_runs");

            migrationBuilder.DropCheckConstraint(
                name: "ck_trigger_runs_one_operation",
                table: "trigger_runs");

            migrationBuilder.DropColumn(
                name: "fire_time",
                table: "trigger_runs");

            migrationBuilder.DropColumn(
                name: "schedule_trigger_operation_id",
                table: "trigger_runs");

            migrationBuilder.AlterColumn<Guid>(
                name: "webhook_trigger_operation_id",
                table: "trigger_runs",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"),
                oldClrType: typeof(Guid),
                oldType: "uuid",
                oldNullable: true);
        }
    }
}
