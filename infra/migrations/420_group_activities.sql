-- Group activities (workers/api/groups.ts, domain/group): a group of pupils, VET or adult learners of one
-- project with its accompanying persons (reference §1.8). Each member is still one mobility with its own
-- workflow; the group holds what they share (destination, dates, travel), its subgroups where funding
-- differs, and which mobility is which member. No personal data: members are registry refs.
CREATE TABLE group_activities (
  group_id       text PRIMARY KEY CHECK (group_id ~ '-GRP-[0-9]{3}$'),
  project_id     text NOT NULL,
  institution_id text NOT NULL,
  consortium_id  text,
  site_id        text,
  activity       text NOT NULL,
  funder_line_id text NOT NULL,
  plan           jsonb NOT NULL,
  subgroups      jsonb NOT NULL DEFAULT '[]',
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX group_activities_project ON group_activities (project_id);

-- The server numbers each project's groups: <project>-GRP-001, -002, …
CREATE TABLE project_group_sequences (
  project_id text PRIMARY KEY,
  next       integer NOT NULL CHECK (next >= 1)
);

CREATE TABLE group_members (
  group_id            text NOT NULL REFERENCES group_activities (group_id),
  mobility_id         text NOT NULL UNIQUE,
  participant_ref     text NOT NULL,
  accompanying_person boolean NOT NULL,
  subgroup_id         text,
  added_by            text NOT NULL,
  added_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, mobility_id),
  UNIQUE (group_id, participant_ref)
);

-- Each group action once per idempotency key: its per-member answers, so a retry answers the same.
CREATE TABLE group_action_runs (
  group_id   text NOT NULL REFERENCES group_activities (group_id),
  run_key    text NOT NULL,
  action     text NOT NULL,
  actor      text NOT NULL,
  results    jsonb,
  started_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, run_key)
);
