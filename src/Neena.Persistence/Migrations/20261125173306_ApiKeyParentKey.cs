using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ApiKeyParentKey : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "parent_key_id",
                table: "api_keys",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_parent_key_id",
                table: "api_keys",
                column: "parent_key_id");

            migrationBuilder.AddForeignKey(
                name: "fk_api_keys_api_keys_parent_key_id",
                table: "api_keys",
                column: "parent_key_id",
                principalTable: "api_keys",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_api_keys_api_keys_parent_key_id",
                table: "api_keys");

            migrationBuilder.DropIndex(
                name: "ix_api_keys_parent_key_id",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "parent_key_id",
                table: "api_keys");
        }
    }
}
