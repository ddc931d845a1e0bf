using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class CatalogueAndAuthoring : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "flows",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by_email = table.Column<string>(type: "text", nullable: true),
                    modified_by_email = table.Column<string>(type: "text", nullable: true),
                    deleted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_flows", x => x.id);
                    table.ForeignKey(
                        name: "fk_flows_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "integrations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    class_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    short_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    auth_type = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    deleted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_integrations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "flow_requests",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    request_instructions = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    request_metadata = table.Column<string>(type: "jsonb", nullable: false),
                    request_name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    flow_id = table.Column<Guid>(type: "uuid", nullable: true),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by_email = table.Column<string>(type: "text", nullable: true),
                    modified_by_email = table.Column<string>(type: "text", nullable: true),
                    deleted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_flow_requests", x => x.id);
                    table.ForeignKey(
                        name: "fk_flow_requests_flows_flow_id",
                        column: x => x.flow_id,
                        principalTable: "flows",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_flow_requests_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "task_dependencies",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    flow_id = table.Column<Guid>(type: "uuid", nullable: false),
                    source_task_operation = table.Column<int>(type: "integer", nullable: false),
                    target_task_operation = table.Column<int>(type: "integer", nullable: false),
                    instruction = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_task_dependencies", x => x.id);
                    table.ForeignKey(
                        name: "fk_task_dependencies_flows_flow_id",
                        column: x => x.flow_id,
                        principalTable: "flows",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "task_definitions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    integration_id = table.Column<Guid>(type: "uuid", nullable: false),
                    task_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    parameters = table.Column<string>(type: "jsonb", nullable: false),
                    input_type = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    input_yml = table.Column<string>(type: "text", nullable: false),
                    description = table.Column<string>(type: "text", nullable: false),
                    python_method_name = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    output_type = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    output_yml = table.Column<string>(type: "text", nullable: false),
                    output_parameters = table.Column<string>(type: "jsonb", nullable: false),
                    output_is_list = table.Column<bool>(type: "boolean", nullable: false),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by_email = table.Column<string>(type: "text", nullable: true),
                    modified_by_email = table.Column<string>(type: "text", nullable: true),
                    deleted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_task_definitions", x => x.id);
                    table.ForeignKey(
                        name: "fk_task_definitions_integrations_integration_id",
                        column: x => x.integration_id,
                        principalTable: "integrations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "task_operations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    flow_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    task_definition_id = table.Column<Guid>(type: "uuid", nullable: false),
                    instruction = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    x = table.Column<double>(type: "double precision", nullable: true),
                    y = table.Column<double>(type: "double precision", nullable: true),
                    index = table.Column<int>(type: "integer", nullable: false),
                    sorted_index = table.Column<int>(type: "integer", nullable: false),
                    parameters = table.Column<string>(type: "jsonb", nullable: true),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by_email = table.Column<string>(type: "text", nullable: true),
                    modified_by_email = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_task_operations", x => x.id);
                    table.ForeignKey(
                        name: "fk_task_operations_flows_flow_id",
                        column: x => x.flow_id,
                        principalTable: "flows",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_task_operations_task_definitions_task_definition_id",
                        column: x => x.task_definition_id,
                        principalTable: "task_definitions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_flow_requests_flow_id",
                table: "flow_requests",
                column: "flow_id");

            migrationBuilder.CreateIndex(
                name: "ix_flow_requests_organization_id_created_date_id",
                table: "flow_requests",
                columns: new[] { "organization_id", "created_date", "id" },
                descending: new[] { false, true, true },
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_flows_organization_id_created_date_id",
                table: "flows",
                columns: new[] { "organization_id", "created_date", "id" },
                descending: new[] { false, true, true },
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_integrations_created_date_id",
                table: "integrations",
                columns: new[] { "created_date", "id" },
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "ix_integrations_short_name",
                table: "integrations",
                column: "short_name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_task_definitions_created_date_id",
                table: "task_definitions",
                columns: new[] { "created_date", "id" },
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "ix_task_definitions_integration_id",
                table: "task_definitions",
                column: "integration_id");

            migrationBuilder.CreateIndex(
                name: "ix_task_definitions_python_method_name",
                table: "task_definitions",
                column: "python_method_name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_task_dependencies_flow_id",
                table: "task_dependencies",
                column: "flow_id");

            migrationBuilder.CreateIndex(
                name: "ix_task_operations_flow_id_index",
                table: "task_operations",
                columns: new[] { "flow_id", "index" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_task_operations_task_definition_id",
                table: "task_operations",
                column: "task_definition_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "flow_requests");

            migrationBuilder.DropTable(
                name: "task_dependencies");

            migrationBuilder.DropTable(
                name: "task_operations");

            migrationBuilder.DropTable(
                name: "flows");

            migrationBuilder.DropTable(
                name: "task_definitions");

            migrationBuilder.DropTable(
                name: "integrations");
        }
    }
}
