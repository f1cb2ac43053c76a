-- Revocation of open badges (workers/api/recognition.ts, infra/credentials/status-list.ts): each badge has an
-- entry in a status list of its issuer (StatusList2021: a bitstring of 131,072 entries, one bit a credential);
-- the API serves each list as a credential signed by that issuer, a set bit meaning revoked. The index of a
-- badge is drawn at random (herd privacy) once and kept, so the same mobility always gets the same badge.
-- No personal data: credential ids, mobility ids, staff usernames, the reason code and a staff note.
CREATE TABLE credential_status_lists (
  list_id     text PRIMARY KEY CHECK (list_id ~ '^[a-z0-9-]{1,64}$'),
  issuer_did  text NOT NULL CHECK (issuer_did ~ '^did:key:z[1-9A-HJ-NP-Za-km-z]+$'),
  purpose     text NOT NULL CHECK (purpose IN ('revocation')),
  length      integer NOT NULL CHECK (length >= 131072 AND length % 8 = 0),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credential_status_lists_issuer ON credential_status_lists (issuer_did, created_at);

CREATE TABLE credential_status_entries (
  credential_id text PRIMARY KEY CHECK (credential_id ~ '^urn:uuid:[0-9a-f-]{36}$'),
  list_id       text NOT NULL REFERENCES credential_status_lists (list_id),
  status_index  integer NOT NULL CHECK (status_index >= 0),
  assigned_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (list_id, status_index)
);

-- A revocation: once per credential (a second request changes nothing), who, when and why.
CREATE TABLE credential_revocations (
  credential_id text PRIMARY KEY REFERENCES credential_status_entries (credential_id),
  mobility_id   text NOT NULL,
  reason_code   text NOT NULL,
  note          text,
  revoked_by    text NOT NULL,
  revoked_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credential_revocations_mobility ON credential_revocations (mobility_id);
