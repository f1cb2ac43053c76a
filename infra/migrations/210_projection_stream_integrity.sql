-- Stream integrity for the projectors (workers/projections/integrity.ts): an event is folded only
-- when its sequence is the next one of its stream (a mobility or a project), and an event id is
-- admitted once, with the hash of its envelope. A second envelope with a known id and another hash
-- is dead-lettered with an alert; an envelope from the future waits here until its predecessors
-- arrive (then is folded), or is dead-lettered when it waited too long.

-- Every event id admitted by the projector, with the SHA-256 of its canonical envelope JSON.
CREATE TABLE projection_event_ledger (
  event_id     text PRIMARY KEY,
  stream_id    text NOT NULL,
  sequence     integer NOT NULL,
  -- NULL only for events folded before this ledger existed: the next sight of the id fills it in.
  payload_hash text,
  topic        text NOT NULL,
  partition    integer NOT NULL,
  "offset"     bigint NOT NULL,
  at           timestamptz NOT NULL DEFAULT now()
);

-- The next sequence each stream expects.
CREATE TABLE projection_stream_heads (
  stream_id     text PRIMARY KEY,
  topic         text NOT NULL,
  next_sequence integer NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Envelopes whose sequence is ahead of their stream's head, kept verbatim until they fit.
CREATE TABLE projection_sequence_parked (
  topic             text NOT NULL,
  partition         integer NOT NULL,
  "offset"          bigint NOT NULL,
  stream_id         text NOT NULL,
  sequence          integer NOT NULL,
  event_id          text NOT NULL,
  expected_sequence integer NOT NULL,
  message_key       text,
  raw               text NOT NULL,
  headers           jsonb NOT NULL,
  projector         text NOT NULL,
  at                timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);
CREATE INDEX projection_sequence_parked_stream ON projection_sequence_parked (stream_id, sequence);
CREATE INDEX projection_sequence_parked_at ON projection_sequence_parked (at);

-- What an operator must look at: an id that came back with another payload (a forged or
-- corrupted event), a message that could not be folded after its attempts.
CREATE TABLE projection_alerts (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL,
  event_id    text,
  event_type  text,
  topic       text NOT NULL,
  partition   integer NOT NULL,
  "offset"    bigint NOT NULL,
  detail      text NOT NULL,
  projector   text NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, topic, partition, "offset")
);

-- Events folded before this migration: admitted, hash unknown; each stream resumes after its highest sequence.
INSERT INTO projection_event_ledger (event_id, stream_id, sequence, payload_hash, topic, partition, "offset")
SELECT DISTINCT ON (event_id) event_id, regexp_replace(event_id, ':[0-9]+$', ''), substring(event_id FROM ':([0-9]+)$')::integer, NULL,
       CASE WHEN event_id ~ '-MOB-[0-9]+:[0-9]+$' THEN 'mobility-events' ELSE 'project-events' END, -1, -1
  FROM (SELECT event_id FROM processed_events UNION SELECT event_id FROM projection_parked_events) known
 WHERE event_id ~ ':[0-9]+$'
ON CONFLICT DO NOTHING;
INSERT INTO projection_stream_heads (stream_id, topic, next_sequence)
SELECT stream_id, min(topic), max(sequence) + 1 FROM projection_event_ledger GROUP BY stream_id;

CREATE OR REPLACE VIEW projection_health AS
  SELECT 'dead-letter' AS kind, topic, reason, event_type, count(*)::bigint AS messages, max(at) AS last_at
    FROM projection_dead_letters GROUP BY topic, reason, event_type
  UNION ALL
  SELECT 'parked', topic, reason, event_type, count(*)::bigint, max(at)
    FROM projection_parked_events GROUP BY topic, reason, event_type
  UNION ALL
  SELECT 'sequence-parked', topic, 'out-of-sequence', NULL::text, count(*)::bigint, max(at)
    FROM projection_sequence_parked GROUP BY topic
  UNION ALL
  SELECT 'alert', topic, kind, event_type, count(*)::bigint, max(at)
    FROM projection_alerts GROUP BY topic, kind, event_type;
