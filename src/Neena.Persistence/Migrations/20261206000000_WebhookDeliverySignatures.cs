using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <summary>
    /// <c>webhook_delivery_signatures</c>: the signatures of the generic Incoming Webhook's stored deliveries, kept while
    /// their timestamp can still pass the check (<c>expires_at</c>), so that a captured delivery sent again with another or
    /// no delivery id is recognised as a replay. The primary key decides between instances; the receiver deletes expired
    /// rows as it stores new ones. Written only by raw SQL: the EF model does not change, so there is no snapshot or designer file.
    /// </summary>
    [DbContext(typeof(NeenaDbContext))]
    [Migration("20261206000000_WebhookDeliverySignatures")]
    public sealed class WebhookDeliverySignatures : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE webhook_delivery_signatures (
                    webhook_trigger_operation_id uuid NOT NULL,
                    signature bytea NOT NULL,
                    trigger_run_id uuid NULL,
                    expires_at timestamp with time zone NOT NULL,
                    CONSTRAINT pk_webhook_delivery_signatures PRIMARY KEY (webhook_trigger_operation_id, signature));
                CREATE INDEX ix_webhook_delivery_signatures_expires_at ON webhook_delivery_signatures (expires_at);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE webhook_delivery_signatures;");
        }
    }
}
