-- The participant registry (workers/api/participants.ts): the one place where a participant's
-- personal data lives. Workflows, their histories, events and projections carry only the opaque
-- ref the server generated here (P- and 12 base32 characters), never a name, an e-mail address,
-- a date of birth or a fewer-opportunities criterion. Each record belongs to the institution (and
-- optionally the site) that registered it; only that institution's staff read it, through the API.
--
-- Erasure (GDPR art. 17) keeps the row and its ref, so streams and histories that name the ref stay
-- consistent, and removes every personal field and the contact (participant_contacts).
CREATE TABLE participants (
  participant_ref               text PRIMARY KEY CHECK (participant_ref ~ '^P-[A-Z2-7]{12}$'),
  institution_id                text NOT NULL REFERENCES tenancy_institutions (id),
  site_id                       text REFERENCES tenancy_sites (id),
  given_name                    text,
  family_name                   text,
  email                         text,
  date_of_birth                 date,
  gender                        text CHECK (gender IN ('female', 'male', 'non-binary', 'undisclosed')),
  nationality                   text CHECK (nationality ~ '^[A-Z]{2}$'),
  -- the code only (FO-01…FO-09), never the details behind it
  fewer_opportunities_criterion text CHECK (fewer_opportunities_criterion ~ '^FO-0[1-9]$'),
  created_by                    text NOT NULL,
  created_at                    timestamptz NOT NULL DEFAULT now(),
  updated_at                    timestamptz NOT NULL DEFAULT now(),
  erased_at                     timestamptz,
  CHECK (
    (erased_at IS NULL AND given_name IS NOT NULL AND family_name IS NOT NULL AND email IS NOT NULL
       AND date_of_birth IS NOT NULL AND gender IS NOT NULL AND nationality IS NOT NULL)
    OR
    (erased_at IS NOT NULL AND given_name IS NULL AND family_name IS NULL AND email IS NULL
       AND date_of_birth IS NULL AND gender IS NULL AND nationality IS NULL AND fewer_opportunities_criterion IS NULL)
  )
);
CREATE INDEX participants_owner ON participants (institution_id, site_id);

-- Who registered, read, exported or erased which record, and when (refs and staff only).
CREATE TABLE participant_audit (
  id              bigserial PRIMARY KEY,
  participant_ref text NOT NULL REFERENCES participants (participant_ref),
  action          text NOT NULL CHECK (action IN ('registered', 'read', 'exported', 'erased')),
  actor           text NOT NULL,
  at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participant_audit_ref ON participant_audit (participant_ref, at);
