using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class WebhookOperationApproval : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "requires_approval",
                table: "webhook_trigger_operations",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            // §11: a generated flow is never run unseen, so existing operations without a fixed flow now wait for approval.
            migrationBuilder.Sql("UPDATE webhook_trigger_operations SET requires_approval = (flow_id IS NULL);");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "requires_approval",
                table: "webhook_trigger_operations");
        }
    }
}
