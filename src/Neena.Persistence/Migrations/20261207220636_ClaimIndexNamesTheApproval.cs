using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ClaimIndexNamesTheApproval : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_flow_runs_claimable",
                table: "flow_runs");

            migrationBuilder.CreateIndex(
                name: "ix_flow_runs_claimable",
                table: "flow_runs",
                columns: new[] { "lease_expires_at", "start_time" },
                filter: "status = 'in_progress' AND approval_status = 'approved'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_flow_runs_claimable",
                table: "flow_runs");

            migrationBuilder.CreateIndex(
                name: "ix_flow_runs_claimable",
                table: "flow_runs",
                columns: new[] { "lease_expires_at", "start_time" },
                filter: "status = 'in_progress'");
        }
    }
}
