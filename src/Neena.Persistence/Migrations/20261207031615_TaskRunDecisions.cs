using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class TaskRunDecisions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "conditions",
                table: "task_runs",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "continue_on_failure",
                table: "task_runs",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "join",
                table: "task_runs",
                type: "character varying(8)",
                maxLength: 8,
                nullable: false,
                // Task runs created before issue 20 join as they always did: every dependency must be taken.
                defaultValue: "all");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "conditions",
                table: "task_runs");

            migrationBuilder.DropColumn(
                name: "continue_on_failure",
                table: "task_runs");

            migrationBuilder.DropColumn(
                name: "join",
                table: "task_runs");
        }
    }
}
