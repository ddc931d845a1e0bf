using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Neena.Persistence.Migrations
{
    /// <summary>
    /// Run events are announced (NOTIFY <c>neena_flow_run_events</c>) only while some instance has a live-event stream
    /// open: PostgreSQL wakes every listening session of the database on every NOTIFY, each in a transaction of its own,
    /// so announcing every status change to nobody cost each instance a transaction per engine commit (issue 23).
    /// <list type="bullet">
    /// <item><c>run_event_listeners</c>: one row per instance with streams open, renewed while they are, expiring on
    /// its own when the instance dies.</item>
    /// <item>The trigger takes a shared advisory lock before it looks, so that an instance registering its first stream
    /// can wait (taking the lock exclusively) for every change that looked before the registration was visible: the
    /// stream reads the run only after that, and so misses nothing (<c>RunEventListeners</c>).</item>
    /// </list>
    /// </summary>
    public partial class RunEventListeners : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE run_event_listeners (
                    instance text NOT NULL,
                    expires_at timestamp with time zone NOT NULL,
                    CONSTRAINT pk_run_event_listeners PRIMARY KEY (instance));

                CREATE OR REPLACE FUNCTION neena_notify_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_advisory_xact_lock_shared(22031212151373827);
                    IF NOT EXISTS (SELECT 1 FROM run_event_listeners WHERE expires_at > clock_timestamp()) THEN
                        RETURN NULL;
                    END IF;
                    IF TG_TABLE_NAME = 'flow_runs' THEN
                        PERFORM pg_notify('neena_flow_run_events', NEW.id::text || ':r:' || NEW.id::text || ':' || NEW.status);
                    ELSE
                        PERFORM pg_notify('neena_flow_run_events', NEW.flow_run_id::text || ':t:' || NEW.id::text || ':' || NEW.status);
                    END IF;
                    RETURN NULL;
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION neena_notify_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_TABLE_NAME = 'flow_runs' THEN
                        PERFORM pg_notify('neena_flow_run_events', NEW.id::text || ':r:' || NEW.id::text || ':' || NEW.status);
                    ELSE
                        PERFORM pg_notify('neena_flow_run_events', NEW.flow_run_id::text || ':t:' || NEW.id::text || ':' || NEW.status);
                    END IF;
                    RETURN NULL;
                END
                $$;
                DROP TABLE run_event_listeners;
                """);
        }
    }
}
