using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <summary>
    /// Two operational pieces, both plain SQL outside the EF model (only hand-written statements touch them):
    /// <list type="bullet">
    /// <item><c>idempotency_keys</c>: one row per (organization, <c>Idempotency-Key</c>), inserted before the request's work
    /// so that a concurrent duplicate conflicts on the primary key, then holding the first answer for 24 hours.</item>
    /// <item>Triggers that NOTIFY <c>neena_flow_run_events</c> on every status change of a run or a task run (and a task
    /// run's creation or new attempt), payload <c>run id:r|t:row id:status</c>, so that every instance's event streams
    /// see changes made by any instance.</item>
    /// <item><c>ix_flow_runs_retention</c>: finished runs by end, for retention's batches.</item>
    /// </list>
    /// </summary>
    public partial class RunEventsAndIdempotency : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE idempotency_keys (
                    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
                    key text NOT NULL,
                    fingerprint bytea NOT NULL,
                    status_code integer NULL,
                    content_type text NULL,
                    location text NULL,
                    body bytea NULL,
                    created_at timestamp with time zone NOT NULL DEFAULT now(),
                    locked_until timestamp with time zone NOT NULL,
                    expires_at timestamp with time zone NOT NULL,
                    CONSTRAINT pk_idempotency_keys PRIMARY KEY (organization_id, key));
                CREATE INDEX ix_idempotency_keys_expires_at ON idempotency_keys (expires_at);

                -- Retention's scan: finished runs, oldest end first.
                CREATE INDEX ix_flow_runs_retention ON flow_runs ((coalesce(end_time, modified_date)))
                    WHERE status NOT IN ('pending', 'in_progress');

                CREATE FUNCTION neena_notify_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_TABLE_NAME = 'flow_runs' THEN
                        PERFORM pg_notify('neena_flow_run_events', NEW.id::text || ':r:' || NEW.id::text || ':' || NEW.status);
                    ELSE
                        PERFORM pg_notify('neena_flow_run_events', NEW.flow_run_id::text || ':t:' || NEW.id::text || ':' || NEW.status);
                    END IF;
                    RETURN NULL;
                END
                $$;

                CREATE TRIGGER flow_runs_run_event AFTER UPDATE OF status ON flow_runs FOR EACH ROW
                    WHEN (OLD.status IS DISTINCT FROM NEW.status)
                    EXECUTE FUNCTION neena_notify_run_event();
                CREATE TRIGGER task_runs_run_event_created AFTER INSERT ON task_runs FOR EACH ROW
                    EXECUTE FUNCTION neena_notify_run_event();
                CREATE TRIGGER task_runs_run_event AFTER UPDATE OF status, attempt ON task_runs FOR EACH ROW
                    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.attempt IS DISTINCT FROM NEW.attempt)
                    EXECUTE FUNCTION neena_notify_run_event();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER task_runs_run_event ON task_runs;
                DROP TRIGGER task_runs_run_event_created ON task_runs;
                DROP TRIGGER flow_runs_run_event ON flow_runs;
                DROP FUNCTION neena_notify_run_event();
                DROP INDEX ix_flow_runs_retention;
                DROP TABLE idempotency_keys;
                """);
        }
    }
}
