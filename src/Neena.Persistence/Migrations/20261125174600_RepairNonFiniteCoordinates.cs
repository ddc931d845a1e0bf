using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <summary>
    /// Before the API refused them, <c>"x": "NaN"</c> and <c>"y": 1e400</c> were stored as NaN and ±Infinity, which no
    /// JSON response can carry: the organization's flow lists failed from then on. Such coordinates become null (the
    /// operation simply has no position), and the database refuses them from now on.
    /// Data and a raw constraint only: the EF model does not change, so there is no snapshot or designer file.
    /// </summary>
    [DbContext(typeof(NeenaDbContext))]
    [Migration("20261125174600_RepairNonFiniteCoordinates")]
    public sealed class RepairNonFiniteCoordinates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // In PostgreSQL, NaN equals NaN, so IN finds all three.
            migrationBuilder.Sql("""
                UPDATE task_operations
                SET x = CASE WHEN x IN ('NaN', 'Infinity', '-Infinity') THEN NULL ELSE x END,
                    y = CASE WHEN y IN ('NaN', 'Infinity', '-Infinity') THEN NULL ELSE y END
                WHERE x IN ('NaN', 'Infinity', '-Infinity') OR y IN ('NaN', 'Infinity', '-Infinity');

                ALTER TABLE task_operations ADD CONSTRAINT ck_task_operations_coordinates_finite
                    CHECK (x NOT IN ('NaN', 'Infinity', '-Infinity') AND y NOT IN ('NaN', 'Infinity', '-Infinity'));
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The repaired values are not restored: they were never usable.
            migrationBuilder.Sql("ALTER TABLE task_operations DROP CONSTRAINT IF EXISTS ck_task_operations_coordinates_finite;");
        }
    }
}
