using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class TaskDefinitionEmbeddings : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "task_definition_embeddings",
                columns: table => new
                {
                    task_definition_id = table.Column<Guid>(type: "uuid", nullable: false),
                    text_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    vector = table.Column<float[]>(type: "real[]", nullable: false),
                    embedded_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_task_definition_embeddings", x => x.task_definition_id);
                    table.ForeignKey(
                        name: "fk_task_definition_embeddings_task_definitions_task_definition",
                        column: x => x.task_definition_id,
                        principalTable: "task_definitions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "task_definition_embeddings");
        }
    }
}
