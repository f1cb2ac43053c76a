-- Login throttling (workers/api/throttle.ts). One row per key — a username as typed, or a client
-- address (IPv6 by its /64) — counting consecutive failed sign-ins. Reaching the key's limit locks
-- it until locked_until; each further failure after a lock doubles the lock (up to a cap). While a
-- key is locked every sign-in through it is refused (429, Retry-After), even with the right
-- password. A success resets its username; failures are forgotten after a quiet period.
CREATE TABLE login_throttle (
  kind            text NOT NULL CHECK (kind IN ('username', 'address')),
  key             text NOT NULL,
  failures        integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  last_failure_at timestamptz,
  locked_until    timestamptz,
  PRIMARY KEY (kind, key)
);

-- Every sign-in attempt and what was answered, for operators: who tried, from where, when.
-- No password, right or wrong, is ever stored.
CREATE TABLE login_attempts (
  id             bigserial PRIMARY KEY,
  attempted_at   timestamptz NOT NULL DEFAULT now(),
  username       text NOT NULL,
  client_address text NOT NULL,
  outcome        text NOT NULL CHECK (outcome IN ('success', 'failure', 'locked')),
  -- failure that set a lock, or a refusal during one: until when
  locked_until   timestamptz
);
CREATE INDEX login_attempts_username ON login_attempts (username, attempted_at);
CREATE INDEX login_attempts_address ON login_attempts (client_address, attempted_at);
