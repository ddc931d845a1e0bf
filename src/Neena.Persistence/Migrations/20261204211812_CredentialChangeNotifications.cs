using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <summary>
    /// Triggers that NOTIFY <c>neena_credentials_changed</c> whenever a row an authenticated principal is built from
    /// changes or goes (see <see cref="CredentialChanges"/>): API keys (revocation and its cascade, expiry, permissions,
    /// owner), users (email, identity, organization) and organizations. Instances cache principals and forget them on
    /// these notifications. Inserts need none (only known credentials are cached), and the API key usage hint
    /// <c>last_used_at</c> is left out so that recording use does not empty every cache.
    /// </summary>
    public partial class CredentialChangeNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION neena_notify_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_LEVEL = 'STATEMENT' THEN
                        PERFORM pg_notify('neena_credentials_changed', 'all');
                    ELSE
                        PERFORM pg_notify('neena_credentials_changed', TG_ARGV[0] || ':' || OLD.id::text);
                    END IF;
                    RETURN NULL;
                END
                $$;

                CREATE TRIGGER api_keys_credentials_changed AFTER UPDATE ON api_keys FOR EACH ROW
                    WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
                    EXECUTE FUNCTION neena_notify_credentials_changed('api_key');
                CREATE TRIGGER api_keys_credentials_deleted AFTER DELETE ON api_keys FOR EACH ROW
                    EXECUTE FUNCTION neena_notify_credentials_changed('api_key');
                CREATE TRIGGER api_keys_credentials_truncated AFTER TRUNCATE ON api_keys FOR EACH STATEMENT
                    EXECUTE FUNCTION neena_notify_credentials_changed();

                CREATE TRIGGER users_credentials_changed AFTER UPDATE OR DELETE ON users FOR EACH ROW
                    EXECUTE FUNCTION neena_notify_credentials_changed('user');
                CREATE TRIGGER users_credentials_truncated AFTER TRUNCATE ON users FOR EACH STATEMENT
                    EXECUTE FUNCTION neena_notify_credentials_changed();

                CREATE TRIGGER organizations_credentials_changed AFTER UPDATE OR DELETE ON organizations FOR EACH ROW
                    EXECUTE FUNCTION neena_notify_credentials_changed('organization');
                CREATE TRIGGER organizations_credentials_truncated AFTER TRUNCATE ON organizations FOR EACH STATEMENT
                    EXECUTE FUNCTION neena_notify_credentials_changed();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER organizations_credentials_truncated ON organizations;
                DROP TRIGGER organizations_credentials_changed ON organizations;
                DROP TRIGGER users_credentials_truncated ON users;
                DROP TRIGGER users_credentials_changed ON users;
                DROP TRIGGER api_keys_credentials_truncated ON api_keys;
                DROP TRIGGER api_keys_credentials_deleted ON api_keys;
                DROP TRIGGER api_keys_credentials_changed ON api_keys;
                DROP FUNCTION neena_notify_credentials_changed();
                """);
        }
    }
}
