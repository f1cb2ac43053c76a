-- Beneficiary Module projection (projection name 'bm', workers/projections/bm.ts): per mobility, the
-- latest facts the BM's mobility import file needs (reference §3) and its grant rule lines. No
-- personal data: the participant is its registry ref; names, e-mail, birth date, gender and
-- nationality are joined from the registry (participants) when a file is exported, for readers
-- allowed to see them. Folded order-independently: "latest" facts are guarded by the sequence of the
-- event that carried them, flags only turn on, counters add.
CREATE TABLE bm_mobilities (
  mobility_id         text PRIMARY KEY,
  project_id          text NOT NULL,
  institution_id      text NOT NULL,
  consortium_id       text,
  -- from ApplicationSubmitted (first wins)
  site_id             text,
  participant_ref     text,
  sending_country     text,
  host_org_id         text,
  distance_km         integer,
  long_term           boolean,
  planned_start       date,
  planned_end         date,
  planned_days        integer,
  -- latest facts (ApplicationSubmitted plan, then MobilityFacts of later events)
  activity            text,
  funder_line_id      text,
  receiving_country   text,
  fewer_opportunities boolean NOT NULL DEFAULT false,
  green_travel        boolean NOT NULL DEFAULT false,
  facts_seq           integer NOT NULL DEFAULT -1,
  -- dates as they move: departure, extension, certificate of attendance
  departed_on         date,
  departure_seq       integer NOT NULL DEFAULT -1,
  extended_end        date,
  extension_seq       integer NOT NULL DEFAULT -1,
  certified           boolean NOT NULL DEFAULT false,
  actual_start        date,
  actual_end          date,
  physical_days       integer,
  certified_interrupted_days integer,
  certificate_seq     integer NOT NULL DEFAULT -1,
  interrupted_days    integer NOT NULL DEFAULT 0,
  force_majeure       boolean NOT NULL DEFAULT false,
  zero_grant          boolean NOT NULL DEFAULT false,
  conditions_seq      integer NOT NULL DEFAULT -1,
  selected            boolean NOT NULL DEFAULT false,
  ended               text CHECK (ended IN ('rejected', 'withdrawn', 'cancelled')),
  ended_seq           integer NOT NULL DEFAULT -1,
  -- the latest estimate and the final grant (lines in bm_grant_lines)
  estimate_seq        integer NOT NULL DEFAULT -1,
  estimate_call_year  integer,
  estimate_days       integer,
  estimate_cents      bigint,
  final_seq           integer NOT NULL DEFAULT -1,
  final_call_year     integer,
  final_days          integer,
  final_cents         bigint,
  -- participant report (EU Survey)
  report_invited      boolean NOT NULL DEFAULT false,
  report_reminders    integer NOT NULL DEFAULT 0,
  report_submitted_on date,
  last_event_at       timestamptz NOT NULL
);
CREATE INDEX bm_mobilities_project ON bm_mobilities (project_id, mobility_id);

CREATE TABLE bm_grant_lines (
  mobility_id  text NOT NULL,
  phase        text NOT NULL CHECK (phase IN ('estimated', 'final')),
  line_no      integer NOT NULL,
  rule_id      text NOT NULL,
  amount_cents bigint NOT NULL,
  PRIMARY KEY (mobility_id, phase, line_no)
);
