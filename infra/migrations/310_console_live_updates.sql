-- Live figures for the operations console: every transaction that moves a projection (the
-- projector stores its new positions in projection_offsets in the same transaction as the
-- effects), registers an application through the console, or sends a reminder, notifies the
-- channel `console_changes` once per statement. Postgres delivers a NOTIFY at commit and folds
-- identical payloads of one transaction into one, so a projector batch is one notification.
-- The API LISTENs on one connection and tells the open consoles (server-sent events) to refetch;
-- the payload names only what changed (never a mobility or a figure, so nothing leaks across tenants).
CREATE FUNCTION console_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('console_changes', TG_ARGV[0]);
  RETURN NULL;
END
$$;

CREATE TRIGGER projection_offsets_console_notify AFTER INSERT OR UPDATE ON projection_offsets
  FOR EACH STATEMENT EXECUTE FUNCTION console_notify_change('projections');
CREATE TRIGGER console_mobilities_console_notify AFTER INSERT OR UPDATE ON console_mobilities
  FOR EACH STATEMENT EXECUTE FUNCTION console_notify_change('mobilities');
CREATE TRIGGER notification_outbox_console_notify AFTER INSERT OR UPDATE ON notification_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION console_notify_change('reminders');

-- The demo's own ledger (bin/demo.ts): one row per mobility it has driven to the end of its
-- story. A restart on the same data skips these, so a finished workflow is never started again
-- (Temporal forgets closed workflows after the namespace's retention; this table does not).
CREATE TABLE demo_mobilities (
  mobility_id text PRIMARY KEY,
  stage       text NOT NULL,
  seeded_at   timestamptz NOT NULL DEFAULT now()
);
