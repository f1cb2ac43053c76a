-- Signed participant and host links (workers/api/links.ts, infra/links/tokens.ts): every use of a link
-- is audited here, whatever its outcome — a view of the link page, a fact supplied through it, a link
-- refused because it expired, was altered, names another mobility or another purpose, and every link
-- staff issued. A link is named by its id (the JWT's jti) and the SHA-256 of the token (never the token
-- itself, which would be a credential). Nothing personal: the mobility id, the audience and purpose only.
CREATE TABLE link_audit (
  id            bigserial PRIMARY KEY,
  link_id       text CHECK (link_id ~ '^L-[0-9a-f]{16}$'),
  token_sha256  text NOT NULL CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
  -- what the link names (null when it could not be read: altered or foreign)
  mobility_id   text,
  audience      text CHECK (audience IN ('participant', 'host')),
  purpose       text CHECK (purpose IN ('certificate-of-attendance', 'report-confirmation')),
  -- what was asked of it
  action        text NOT NULL CHECK (action IN ('issue', 'view', 'certificate-of-attendance', 'report-confirmation')),
  requested_mobility_id text,
  outcome       text NOT NULL CHECK (outcome IN ('issued', 'viewed', 'applied', 'refused', 'expired', 'invalid', 'mismatch')),
  detail        text NOT NULL DEFAULT '',
  -- who issued it (staff username) for 'issue'; otherwise the audience
  actor         text NOT NULL,
  at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX link_audit_mobility ON link_audit (mobility_id, at);
CREATE INDEX link_audit_link ON link_audit (link_id, at);
