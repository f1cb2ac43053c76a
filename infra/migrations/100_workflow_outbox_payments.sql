-- Workflow side effects, each keyed so that a retried activity finds its own earlier work.

-- Personal contact data stays here, never in Temporal history or Kafka: events and workflow
-- state carry only the pseudonymous participant ref; the mail activity resolves the address.
CREATE TABLE participant_contacts (
  participant_ref text PRIMARY KEY,
  email           text NOT NULL,
  display_name    text NOT NULL DEFAULT '',
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Who receives the coordinator's reminders and escalations, per sending institution.
CREATE TABLE coordinator_contacts (
  institution_id text PRIMARY KEY,
  email          text NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- The notification outbox: one row per (mobility, deadline, attempt). A retried send finds the
-- row, claims it (status + lease) and never sends twice once it is 'sent'. The Message-ID is
-- deterministic, so even a send repeated in the narrow window between SMTP accept and the
-- 'sent' mark carries the same id and a mail client shows it once.
CREATE TABLE notification_outbox (
  mobility_id     text NOT NULL,
  deadline_id     text NOT NULL,
  attempt         integer NOT NULL CHECK (attempt >= 1),
  kind            text NOT NULL CHECK (kind IN ('reminder', 'escalation')),
  recipient_role  text NOT NULL CHECK (recipient_role IN ('participant', 'coordinator')),
  recipient_ref   text NOT NULL,
  message_id      text NOT NULL UNIQUE,
  subject         text NOT NULL,
  body            text NOT NULL,
  due_date        date NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'undeliverable')),
  claims          integer NOT NULL DEFAULT 0,
  claimed_at      timestamptz,
  sent_at         timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (mobility_id, deadline_id, attempt)
);
CREATE INDEX notification_outbox_status ON notification_outbox (status) WHERE status <> 'sent';

-- Payment orders to participants: pre-financing, balance, recovery. The idempotency key is
-- mobility + kind + sequence and is unique: a retried activity can never create a second order.
CREATE TABLE payment_orders (
  idempotency_key text PRIMARY KEY,
  mobility_id     text NOT NULL,
  project_id      text NOT NULL,
  participant_ref text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('prefinancing', 'balance', 'recovery')),
  sequence        integer NOT NULL CHECK (sequence >= 1),
  amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
  due_date        date NOT NULL,
  basis           text NOT NULL,
  status          text NOT NULL DEFAULT 'ordered' CHECK (status IN ('ordered')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (mobility_id, kind, sequence)
);
CREATE INDEX payment_orders_project ON payment_orders (project_id);
