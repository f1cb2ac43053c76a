-- Projection framework: each projection keeps its own position in each partition, stored in the
-- same transaction as its effects (the truth on restart; Kafka's committed offsets only mirror it).
CREATE TABLE projection_offsets (
  projection  text NOT NULL,
  topic       text NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, topic, partition)
);

-- processed_events (001) holds the event ids each projection has folded (column projector =
-- projection name): a duplicate published at another offset is still folded once.

-- Messages no projection could fold (bad JSON, envelope or payload): also sent to the dead-letter
-- topic with the reason in its headers. One row per source message.
CREATE TABLE projection_dead_letters (
  topic       text NOT NULL,
  partition   integer NOT NULL,
  "offset"    bigint NOT NULL,
  reason      text NOT NULL,
  detail      text NOT NULL,
  event_id    text,
  event_type  text,
  event_version integer,
  message_key text,
  raw         text NOT NULL,
  projector   text NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);

-- Well-formed events this projector version does not understand yet (a newer version of a known
-- type, or a type it has never heard of): parked, counted and visible, never silently dropped.
-- After an upgrade, `npm run projections:rebuild` folds them from the topic.
CREATE TABLE projection_parked_events (
  topic       text NOT NULL,
  partition   integer NOT NULL,
  "offset"    bigint NOT NULL,
  reason      text NOT NULL CHECK (reason IN ('unknown-version', 'unknown-type')),
  event_id    text NOT NULL,
  event_type  text NOT NULL,
  event_version integer NOT NULL,
  known_version integer,
  envelope    jsonb NOT NULL,
  projector   text NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);

-- What operators look at: how many messages were dead-lettered or parked, by reason.
CREATE VIEW projection_health AS
  SELECT 'dead-letter' AS kind, topic, reason, event_type, count(*)::bigint AS messages, max(at) AS last_at
    FROM projection_dead_letters GROUP BY topic, reason, event_type
  UNION ALL
  SELECT 'parked', topic, reason, event_type, count(*)::bigint, max(at)
    FROM projection_parked_events GROUP BY topic, reason, event_type;
