-- Operations console: the tenancy directory (network → consortium → member institution → site),
-- staff accounts with role grants, and login sessions. Loaded into domain/tenancy's
-- TenantDirectory, which validates it (workers/api/directory.ts).

CREATE TABLE tenancy_networks (
  id   text PRIMARY KEY,
  name text NOT NULL
);

CREATE TABLE tenancy_institutions (
  id         text PRIMARY KEY,
  network_id text NOT NULL REFERENCES tenancy_networks (id),
  name       text NOT NULL
);

CREATE TABLE tenancy_consortia (
  id         text PRIMARY KEY,
  network_id text NOT NULL REFERENCES tenancy_networks (id),
  name       text NOT NULL
);

-- Membership is held by the consortium; functions split between members (coordination-finance,
-- administrative-management, quality-control). At most one member coordinates (the beneficiary).
CREATE TABLE tenancy_consortium_members (
  consortium_id  text NOT NULL REFERENCES tenancy_consortia (id),
  institution_id text NOT NULL REFERENCES tenancy_institutions (id),
  functions      text[] NOT NULL DEFAULT '{}'
    CHECK (functions <@ ARRAY['coordination-finance', 'administrative-management', 'quality-control']::text[]),
  PRIMARY KEY (consortium_id, institution_id)
);
CREATE UNIQUE INDEX tenancy_one_coordinator ON tenancy_consortium_members (consortium_id)
  WHERE 'coordination-finance' = ANY (functions);

CREATE TABLE tenancy_sites (
  id             text PRIMARY KEY,
  institution_id text NOT NULL REFERENCES tenancy_institutions (id),
  name           text NOT NULL
);

-- Staff accounts. The username is also the staff reference written in the audit trail (never an
-- e-mail address). password_hash: scrypt$N$r$p$salt(base64)$key(base64) (node:crypto scrypt).
CREATE TABLE staff_users (
  username      text PRIMARY KEY CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{1,63}$'),
  display_name  text NOT NULL,
  password_hash text NOT NULL,
  disabled      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_role_grants (
  username   text NOT NULL REFERENCES staff_users (username) ON DELETE CASCADE,
  role       text NOT NULL CHECK (role IN ('network-director', 'consortium-coordinator', 'administrative-manager',
                                           'quality-controller', 'institution-coordinator', 'site-coordinator', 'observer')),
  scope_kind text NOT NULL CHECK (scope_kind IN ('network', 'consortium', 'institution', 'site')),
  scope_id   text NOT NULL,
  PRIMARY KEY (username, role, scope_kind, scope_id)
);

-- Opaque bearer sessions: only the SHA-256 of the token is stored; a session ends at expires_at
-- or at logout (revoked_at).
CREATE TABLE staff_sessions (
  token_hash text PRIMARY KEY,
  username   text NOT NULL REFERENCES staff_users (username) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX staff_sessions_user ON staff_sessions (username);

-- Ownership of each mobility submitted through the console (with its site, which the event
-- projections do not keep): the mobility list filters on it, and lists a new application
-- before the projections have folded its first event.
CREATE TABLE console_mobilities (
  mobility_id    text PRIMARY KEY,
  project_id     text NOT NULL,
  institution_id text NOT NULL,
  consortium_id  text,
  site_id        text,
  activity       text NOT NULL,
  submitted_by   text NOT NULL,
  submitted_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX console_mobilities_scope ON console_mobilities (institution_id, consortium_id, site_id);
