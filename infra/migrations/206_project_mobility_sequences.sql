-- The server numbers each project's mobilities: <project>-MOB-00001, -00002, … (never a client's choice).
CREATE TABLE project_mobility_sequences (
  project_id text PRIMARY KEY,
  next       integer NOT NULL CHECK (next >= 1)
);
