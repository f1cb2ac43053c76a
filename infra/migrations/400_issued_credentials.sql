-- Recognition records the engine issued (workers/api/recognition.ts): one row per credential, the
-- first time it was handed out. No personal data: the mobility, the kind, the issuer's DID and the
-- SHA-256 of the signed credential (a verifier can tell whether the engine issued a badge it is shown).
-- The badge itself is re-derived on request (deterministic), never stored; the Europass document and
-- the career record are produced at request time and not kept either (only that they were handed out,
-- and by whom, in recognition_record_log).
CREATE TABLE issued_credentials (
  credential_id  text PRIMARY KEY CHECK (credential_id ~ '^urn:uuid:[0-9a-f-]{36}$'),
  mobility_id    text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('open-badge')),
  issuer_did     text NOT NULL CHECK (issuer_did ~ '^did:key:z[1-9A-HJ-NP-Za-km-z]+$'),
  jwt_sha256     text NOT NULL CHECK (jwt_sha256 ~ '^[0-9a-f]{64}$'),
  issued_at      timestamptz NOT NULL,
  first_handed_out_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (mobility_id, kind, issuer_did)
);
CREATE INDEX issued_credentials_sha ON issued_credentials (jwt_sha256);

-- Who downloaded which record of which mobility, and when (staff usernames and ids only).
CREATE TABLE recognition_record_log (
  id           bigserial PRIMARY KEY,
  mobility_id  text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('europass', 'open-badge', 'career-record')),
  actor        text NOT NULL,
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recognition_record_log_mobility ON recognition_record_log (mobility_id, at);
