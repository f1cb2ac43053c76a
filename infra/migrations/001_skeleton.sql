-- Applications received, as a first projection of MobilityApplied events (walking skeleton).
CREATE TABLE mobility_applications (
  mobility_id     text PRIMARY KEY,
  project_id      text NOT NULL,
  institution_id  text NOT NULL,
  participant_ref text NOT NULL,
  activity        text NOT NULL,
  applied_at      timestamptz NOT NULL,
  event_id        text NOT NULL UNIQUE
);

-- Events a projector has folded, recorded in the same transaction as its effect: a redelivered
-- event is skipped, so nothing counts twice.
CREATE TABLE processed_events (
  projector   text NOT NULL,
  event_id    text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projector, event_id)
);
