-- Onboarding (workers/api/onboarding.ts, rules in domain/tenancy/onboarding.ts): institutions carry their
-- registry identifiers, staff are invited by e-mail, every change to the organisation is audited.

-- The Erasmus institutional code (higher education) and the OID of the EU's Organisation Registration
-- System: the Beneficiary Module names organisations by OID. Each is held by one institution at most.
ALTER TABLE tenancy_institutions
  ADD COLUMN erasmus_code text UNIQUE CHECK (erasmus_code ~ '^[A-Z]{1,3}[ -]{1,2}[A-Z]{3,}[ -]?[0-9]{2,3}$'),
  ADD COLUMN oid          text UNIQUE CHECK (oid ~ '^E[0-9]{8}$');

-- An invited staff member has no password until the invitation is accepted (NULL never verifies: the
-- sign-in compares against a dummy hash, so timing does not tell an invited account from an unknown one).
-- The e-mail address receives the invitation; it is never written in an audit row or an event.
ALTER TABLE staff_users
  ALTER COLUMN password_hash DROP NOT NULL,
  ADD COLUMN email      text CHECK (email IS NULL OR length(email) <= 254),
  ADD COLUMN created_by text;

-- Invitations: a random 32-byte token goes out in the e-mail's link once; only its SHA-256 is kept.
-- It sets the password once (used_at), before expires_at (72 h), unless a newer invitation superseded
-- it. sent_at / message_id record the e-mail (Message-ID deterministic per invitation).
CREATE TABLE staff_invitations (
  token_hash    text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  username      text NOT NULL REFERENCES staff_users (username) ON DELETE CASCADE,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz,
  superseded_at timestamptz,
  message_id    text NOT NULL UNIQUE,
  sent_at       timestamptz
);
CREATE INDEX staff_invitations_user ON staff_invitations (username, created_at);

-- The audit trail of the organisation: who changed what, when, with the ids and values before and
-- after (never a password, a hash, a token or an e-mail address). Filed under the unit the change
-- touched (a staff account's change under the scope of the grant concerned), so the managers of that
-- unit read it (GET /api/organisation/audit).
CREATE TABLE organisation_audit (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text NOT NULL,
  action    text NOT NULL,
  unit_kind text NOT NULL CHECK (unit_kind IN ('network', 'consortium', 'institution', 'site')),
  unit_id   text NOT NULL,
  subject   text,
  before    jsonb,
  after     jsonb
);
CREATE INDEX organisation_audit_unit ON organisation_audit (unit_kind, unit_id, at);
