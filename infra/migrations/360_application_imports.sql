-- Bulk import of applications (workers/api/imports.ts): one job per uploaded file, its progress and its
-- per-row report; and the key that makes importing the same file again idempotent: the institution's own
-- application reference of a row, within its project, maps to the one mobility it started (and the
-- participant the import registered for it, so a second import registers nobody twice).
-- No personal data here: the report names rows, columns and reasons; participants are their opaque refs.
CREATE TABLE IF NOT EXISTS import_jobs (
  import_id       text PRIMARY KEY CHECK (import_id ~ '^IMP-[A-Z0-9]{6,40}$'),
  project_id      text NOT NULL,
  institution_id  text NOT NULL,
  consortium_id   text,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  file_name       text,
  file_sha256     text NOT NULL,
  format          text NOT NULL CHECK (format IN ('csv', 'xlsx')),
  status          text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  total           integer NOT NULL CHECK (total >= 0),
  done            integer NOT NULL DEFAULT 0,
  started         integer NOT NULL DEFAULT 0,
  taken_over      integer NOT NULL DEFAULT 0,
  duplicates      integer NOT NULL DEFAULT 0,
  refused         integer NOT NULL DEFAULT 0,
  error           text,
  -- [{ row, applicationRef, status: started|duplicate|refused, mobilityId, stage, issues: [{ column, reason, rule }] }]
  report          jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS import_jobs_project ON import_jobs (project_id, created_at);

CREATE TABLE IF NOT EXISTS import_keys (
  project_id      text NOT NULL,
  institution_id  text NOT NULL,
  application_ref text NOT NULL,
  mobility_id     text NOT NULL UNIQUE,
  participant_ref text,
  import_id       text NOT NULL,
  row_number      integer NOT NULL,
  started         boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, institution_id, application_ref)
);
