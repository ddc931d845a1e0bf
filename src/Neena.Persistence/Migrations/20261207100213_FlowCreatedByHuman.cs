using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FlowCreatedByHuman : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Flows that existed before the flag: drawn by a person unless a trigger run generated them (its operation had no
            // fixed flow, or another one). Flows saved by /flows/generate left no trace and stay true.
            migrationBuilder.AddColumn<bool>(
                name: "created_by_human",
                table: "flows",
                type: "boolean",
                nullable: false,
                defaultValue: true);
            migrationBuilder.Sql("""
                UPDATE flows f SET created_by_human = false
                FROM trigger_runs tr
                JOIN flow_requests fr ON fr.id = tr.flow_request_id
                LEFT JOIN webhook_trigger_operations w ON w.id = tr.webhook_trigger_operation_id
                LEFT JOIN schedule_trigger_operations s ON s.id = tr.schedule_trigger_operation_id
                WHERE fr.flow_id = f.id
                  AND fr.flow_id IS DISTINCT FROM COALESCE(w.flow_id, s.flow_id);
                """);
            // The model has no default: every insert states the flag, so a forgotten one cannot silently claim a person drew it.
            migrationBuilder.Sql("ALTER TABLE flows ALTER COLUMN created_by_human DROP DEFAULT;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "created_by_human",
                table: "flows");
        }
    }
}
