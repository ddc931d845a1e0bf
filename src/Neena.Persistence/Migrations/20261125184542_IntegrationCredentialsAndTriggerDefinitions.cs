using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class IntegrationCredentialsAndTriggerDefinitions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "credential_fields",
                table: "integrations",
                type: "jsonb",
                nullable: false,
                // Integrations that exist before this migration take no credentials until the catalogue sync says otherwise.
                defaultValue: "[]");

            migrationBuilder.CreateTable(
                name: "data_protection_keys",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    friendly_name = table.Column<string>(type: "text", nullable: true),
                    xml = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_data_protection_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "integration_credentials",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    integration_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    field_names = table.Column<string>(type: "jsonb", nullable: false),
                    protected_fields = table.Column<string>(type: "text", nullable: true),
                    last_used_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by_email = table.Column<string>(type: "text", nullable: true),
                    modified_by_email = table.Column<string>(type: "text", nullable: true),
                    deleted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_integration_credentials", x => x.id);
                    table.ForeignKey(
                        name: "fk_integration_credentials_integrations_integration_id",
                        column: x => x.integration_id,
                        principalTable: "integrations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_integration_credentials_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "webhook_trigger_definitions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    integration_id = table.Column<Guid>(type: "uuid", nullable: false),
                    trigger_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    python_method_name = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    description = table.Column<string>(type: "text", nullable: false),
                    event_type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    entity_field = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    event_fields = table.Column<string>(type: "jsonb", nullable: false),
                    created_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    modified_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by_email = table.Column<string>(type: "text", nullable: true),
                    modified_by_email = table.Column<string>(type: "text", nullable: true),
                    deleted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_webhook_trigger_definitions", x => x.id);
                    table.ForeignKey(
                        name: "fk_webhook_trigger_definitions_integrations_integration_id",
                        column: x => x.integration_id,
                        principalTable: "integrations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_integration_credentials_integration_id",
                table: "integration_credentials",
                column: "integration_id");

            migrationBuilder.CreateIndex(
                name: "ix_integration_credentials_organization_id_created_date_id",
                table: "integration_credentials",
                columns: new[] { "organization_id", "created_date", "id" },
                descending: new[] { false, true, true },
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_integration_credentials_organization_id_integration_id_crea",
                table: "integration_credentials",
                columns: new[] { "organization_id", "integration_id", "created_date" },
                descending: new[] { false, false, true },
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_webhook_trigger_definitions_created_date_id",
                table: "webhook_trigger_definitions",
                columns: new[] { "created_date", "id" },
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "ix_webhook_trigger_definitions_integration_id",
                table: "webhook_trigger_definitions",
                column: "integration_id");

            migrationBuilder.CreateIndex(
                name: "ix_webhook_trigger_definitions_python_method_name",
                table: "webhook_trigger_definitions",
                column: "python_method_name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "data_protection_keys");

            migrationBuilder.DropTable(
                name: "integration_credentials");

            migrationBuilder.DropTable(
                name: "webhook_trigger_definitions");

            migrationBuilder.DropColumn(
                name: "credential_fields",
                table: "integrations");
        }
    }
}
