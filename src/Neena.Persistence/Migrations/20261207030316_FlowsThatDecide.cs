using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FlowsThatDecide : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "continue_on_failure",
                table: "task_operations",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "for_each",
                table: "task_operations",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "join",
                table: "task_operations",
                type: "character varying(8)",
                maxLength: 8,
                nullable: false,
                // Flows written before issue 20 join as they always did: every dependency must be taken.
                defaultValue: "all");

            migrationBuilder.AddColumn<string>(
                name: "condition",
                table: "task_dependencies",
                type: "jsonb",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "continue_on_failure",
                table: "task_operations");

            migrationBuilder.DropColumn(
                name: "for_each",
                table: "task_operations");

            migrationBuilder.DropColumn(
                name: "join",
                table: "task_operations");

            migrationBuilder.DropColumn(
                name: "condition",
                table: "task_dependencies");
        }
    }
}
