-- Private calendar feeds (workers/api/calendar-feed.ts): a staff member creates a feed of the due
-- dates of one institution, consortium or site in their own scope; the URL carries a random token,
-- of which only the SHA-256 is stored. Revoking keeps the row (who, when) and the token stops working.
CREATE TABLE calendar_feeds (
  id          bigserial PRIMARY KEY,
  token_hash  text NOT NULL UNIQUE,
  scope_kind  text NOT NULL CHECK (scope_kind IN ('institution', 'consortium', 'site')),
  scope_id    text NOT NULL,
  label       text NOT NULL,
  created_by  text NOT NULL REFERENCES staff_users (username),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  revoked_by  text
);
CREATE INDEX calendar_feeds_owner ON calendar_feeds (created_by);
