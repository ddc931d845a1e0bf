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
    /// <item>An instance registering its first stream waits for every change that looked before the registration was
    /// visible (they hold transaction ids below the next one after it) before the stream reads the run, so the stream
    /// misses nothing (<c>RunEventListeners.RegisterAsync</c>).</item>
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
