-- Incoming mobilities (domain/incoming): the receiving side's stays, folded from the incoming-events
-- topic by workers/projections/incoming.ts (projection name 'incoming', positions in
-- projection_offsets and dedupe in processed_events, like every projection). No money column: an
-- incoming stay is paid by its sender, and the budget projection never reads this topic.
CREATE TABLE incoming_mobilities (
  incoming_id           text PRIMARY KEY,
  institution_id        text NOT NULL,
  site_id               text,
  participant_ref       text NOT NULL,
  kind                  text NOT NULL,
  sending_org_id        text NOT NULL,
  sending_country       text NOT NULL,
  start_date            date NOT NULL,
  end_date              date NOT NULL,
  planned_days          integer NOT NULL,
  agreement             text NOT NULL,
  transcript_owed       boolean NOT NULL,
  stage                 text NOT NULL,
  -- The sequence of the last event folded: a late or re-sent event never moves the stage back.
  last_sequence         integer NOT NULL,
  agreement_signed_on   date,
  ects_planned          numeric(4,1),
  arrived_on            date,
  actual_start_date     date,
  actual_end_date       date,
  certificate_issued_on date,
  certificate_days_late integer,
  transcript_due_on     date,
  transcript_issued_on  date,
  ects_awarded          numeric(4,1),
  transcript_days_late  integer,
  cancellation_reason   text,
  missed                text[] NOT NULL DEFAULT '{}',
  nominated_at          timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incoming_mobilities_institution ON incoming_mobilities (institution_id, stage);

-- The server numbers each institution's incoming mobilities (IN-<institution>-MOB-00001…).
CREATE TABLE incoming_sequences (
  institution_id text PRIMARY KEY,
  last_number    integer NOT NULL
);

-- Who registered each nomination through the API (the list shows it before the projection has it).
CREATE TABLE console_incoming (
  incoming_id    text PRIMARY KEY,
  institution_id text NOT NULL,
  site_id        text,
  kind           text NOT NULL,
  submitted_by   text NOT NULL,
  submitted_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER console_incoming_console_notify AFTER INSERT OR UPDATE ON console_incoming
  FOR EACH STATEMENT EXECUTE FUNCTION console_notify_change('mobilities');
