-- The open due dates of each mobility, as its workflow last published them (DeadlinesScheduled):
-- the calendar's deadlines live in its stage and not yet fulfilled, under the project's policy.
-- Lists, worklists and the "next deadline" read these rows, so they agree with the mobility's own
-- deadlines and its NextDeadline search attribute. Replaced as a whole by a later schedule
-- (guarded by the event sequence, so redelivery and reordering change nothing).
CREATE TABLE quality_schedule_versions (
  mobility_id text PRIMARY KEY,
  seq         integer NOT NULL
);
CREATE TABLE quality_schedule (
  mobility_id text NOT NULL,
  deadline    text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('obligation', 'window')),
  due_on      date NOT NULL,
  PRIMARY KEY (mobility_id, deadline)
);
CREATE INDEX quality_schedule_due ON quality_schedule (due_on);
