-- Budget consumption projection (projection name 'budget'). Money in integer euro cents.
-- Every figure of the views below is a sum over budget_mobilities / budget_grant_lines, so it can
-- be drilled down to the mobilities and grant rule lines that make it.

-- Funder lines of each project, from ProjectRegistered (project-events).
CREATE TABLE budget_lines (
  project_id            text NOT NULL,
  line_id               text NOT NULL,
  funder                text NOT NULL,
  institution_id        text NOT NULL,
  consortium_id         text,
  allocated_cents       bigint NOT NULL,
  allocated_mobilities  integer NOT NULL,
  PRIMARY KEY (project_id, line_id)
);

-- The budget guard's reservation per mobility (BudgetReserved/Adjusted/Released, latest by
-- project sequence): the guard's own ledger, shown beside the event-derived figures.
CREATE TABLE budget_reservations (
  project_id   text NOT NULL,
  mobility_id  text NOT NULL,
  line_id      text NOT NULL,
  amount_cents bigint NOT NULL,
  released     boolean NOT NULL,
  seq          integer NOT NULL,
  PRIMARY KEY (project_id, mobility_id)
);

-- One row per mobility, from mobility-events. Flags only ever turn on and "latest" facts are
-- guarded by the event sequence, so the fold gives the same row whatever the arrival order.
CREATE TABLE budget_mobilities (
  mobility_id        text PRIMARY KEY,
  project_id         text NOT NULL,
  institution_id     text NOT NULL,
  consortium_id      text,
  funder_line_id     text,
  activity           text,
  fewer_opportunities boolean NOT NULL DEFAULT false,
  facts_seq          integer NOT NULL DEFAULT -1,
  selected           boolean NOT NULL DEFAULT false,
  agreed             boolean NOT NULL DEFAULT false,
  certified          boolean NOT NULL DEFAULT false,
  certified_at       timestamptz,
  ended              text CHECK (ended IN ('rejected', 'withdrawn', 'cancelled')),
  ended_seq          integer NOT NULL DEFAULT -1,
  estimated_cents    bigint NOT NULL DEFAULT 0,
  estimate_seq       integer NOT NULL DEFAULT -1,
  contract_cents     bigint NOT NULL DEFAULT 0,
  final_cents        bigint NOT NULL DEFAULT 0,
  final_seq          integer NOT NULL DEFAULT -1,
  prefinanced_cents  bigint NOT NULL DEFAULT 0,
  balance_paid_cents bigint NOT NULL DEFAULT 0,
  recovered_cents    bigint NOT NULL DEFAULT 0,
  payments           integer NOT NULL DEFAULT 0,
  recoveries         integer NOT NULL DEFAULT 0
);
CREATE INDEX budget_mobilities_project ON budget_mobilities (project_id, funder_line_id);

-- The grant rule lines of each mobility: phase 'estimated' (selection, recalculation) and
-- 'final' (certified attendance). The estimate is replaced by a later recalculation.
CREATE TABLE budget_grant_lines (
  mobility_id   text NOT NULL,
  phase         text NOT NULL CHECK (phase IN ('estimated', 'final')),
  line_no       integer NOT NULL,
  rule_id       text NOT NULL,
  item          text NOT NULL,
  amount_cents  bigint NOT NULL,
  basis         text NOT NULL,
  call_year     integer NOT NULL,
  source_event_id text NOT NULL,
  PRIMARY KEY (mobility_id, phase, line_no)
);

-- Organisational support unit costs per participant rank within a project (reference §1.5:
-- KA131 400 EUR per participant up to the 100th, 230 EUR above; zero-grant mobilities count).
CREATE TABLE budget_org_support_tiers (
  rule_id     text PRIMARY KEY,
  from_rank   integer NOT NULL,
  to_rank     integer,
  unit_cents  bigint NOT NULL,
  basis       text NOT NULL
);
INSERT INTO budget_org_support_tiers VALUES
  ('OS-KA131-1-100', 1, 100, 40000, 'KA131 organisational support: 400 EUR per participant up to the 100th [V S5]'),
  ('OS-KA131-101+', 101, NULL, 23000, 'KA131 organisational support: 230 EUR per participant above the 100th [V S5]');

-- Where each mobility stands for the budget: which amount it commits and through which lines.
--   reserved   = selected, not yet signed: the latest estimate
--   contracted = agreement signed, attendance not yet certified: the latest estimate
--   final      = attendance certified: the final grant
--   released   = rejected, withdrawn or cancelled before certification: nothing
CREATE VIEW budget_mobility_status AS
  SELECT m.*,
         CASE WHEN m.certified THEN 'final'
              WHEN m.ended IS NOT NULL THEN 'released'
              WHEN m.agreed THEN 'contracted'
              WHEN m.selected THEN 'reserved'
              ELSE 'applied' END AS budget_status
    FROM budget_mobilities m;

CREATE VIEW budget_mobility_grant_lines AS
  SELECT s.mobility_id, s.project_id, s.funder_line_id, s.institution_id, s.consortium_id, s.budget_status,
         l.phase, l.line_no, l.rule_id, l.item, l.amount_cents, l.basis, l.call_year, l.source_event_id
    FROM budget_mobility_status s
    JOIN budget_grant_lines l ON l.mobility_id = s.mobility_id
         AND l.phase = CASE WHEN s.budget_status = 'final' THEN 'final' ELSE 'estimated' END
   WHERE s.budget_status IN ('reserved', 'contracted', 'final');

-- Organisational support earned: one line per certified participant, ranked within its project
-- by certification time (then mobility id), priced by the tier of its rank.
CREATE VIEW budget_org_support_lines AS
  WITH ranked AS (
    SELECT s.mobility_id, s.project_id, s.funder_line_id, s.institution_id, s.consortium_id, s.final_cents,
           row_number() OVER (PARTITION BY s.project_id ORDER BY s.certified_at, s.mobility_id) AS participant_rank
      FROM budget_mobility_status s WHERE s.budget_status = 'final'
  )
  SELECT r.*, t.rule_id, t.unit_cents AS amount_cents, t.basis
    FROM ranked r JOIN budget_org_support_tiers t
      ON r.participant_rank >= t.from_rank AND (t.to_rank IS NULL OR r.participant_rank <= t.to_rank);

-- Inclusion support lines (grant lines whose rule or item names inclusion support).
CREATE VIEW budget_inclusion_lines AS
  SELECT * FROM budget_mobility_grant_lines
   WHERE rule_id ILIKE '%INCL%' OR item ILIKE '%inclusion%';

-- Consumption per project x funder line x institution x consortium.
CREATE VIEW budget_consumption AS
  WITH per_mobility AS (
    SELECT s.project_id, coalesce(s.funder_line_id, '') AS line_id, s.institution_id, s.consortium_id,
           count(*) FILTER (WHERE s.budget_status IN ('reserved', 'contracted', 'final')) AS mobilities_used,
           count(*) FILTER (WHERE s.budget_status IN ('reserved', 'contracted', 'final')
                              AND (CASE s.budget_status WHEN 'final' THEN s.final_cents ELSE s.estimated_cents END) = 0) AS zero_grant_mobilities,
           count(*) FILTER (WHERE s.budget_status IN ('reserved', 'contracted', 'final') AND s.fewer_opportunities) AS fewer_opportunity_mobilities,
           coalesce(sum(s.estimated_cents) FILTER (WHERE s.budget_status = 'reserved'), 0) AS reserved_cents,
           coalesce(sum(s.estimated_cents) FILTER (WHERE s.budget_status = 'contracted'), 0) AS contracted_cents,
           coalesce(sum(s.final_cents) FILTER (WHERE s.budget_status = 'final'), 0) AS final_cents,
           coalesce(sum(s.prefinanced_cents), 0) AS prefinanced_cents,
           coalesce(sum(s.prefinanced_cents + s.balance_paid_cents), 0) AS paid_cents,
           coalesce(sum(s.recovered_cents), 0) AS recovered_cents
      FROM budget_mobility_status s GROUP BY 1, 2, 3, 4
  ),
  os AS (
    SELECT project_id, coalesce(funder_line_id, '') AS line_id, institution_id, consortium_id,
           sum(amount_cents) AS org_support_cents, count(*) AS org_support_participants
      FROM budget_org_support_lines GROUP BY 1, 2, 3, 4
  ),
  incl AS (
    SELECT project_id, coalesce(funder_line_id, '') AS line_id, institution_id, consortium_id, sum(amount_cents) AS inclusion_support_cents
      FROM budget_inclusion_lines GROUP BY 1, 2, 3, 4
  ),
  keys AS (
    SELECT project_id, line_id, institution_id, consortium_id FROM per_mobility
    UNION SELECT project_id, line_id, institution_id, consortium_id FROM budget_lines
  )
  SELECT k.project_id, k.line_id AS funder_line_id, k.institution_id, k.consortium_id,
         bl.funder,
         coalesce(bl.allocated_cents, 0)::bigint AS allocated_cents,
         coalesce(bl.allocated_mobilities, 0)::bigint AS allocated_mobilities,
         coalesce(p.reserved_cents, 0)::bigint AS reserved_cents,
         coalesce(p.contracted_cents, 0)::bigint AS contracted_cents,
         coalesce(p.final_cents, 0)::bigint AS final_cents,
         coalesce(p.reserved_cents + p.contracted_cents + p.final_cents, 0)::bigint AS committed_cents,
         coalesce(p.prefinanced_cents, 0)::bigint AS prefinanced_cents,
         coalesce(p.paid_cents, 0)::bigint AS paid_cents,
         coalesce(p.recovered_cents, 0)::bigint AS recovered_cents,
         coalesce(p.mobilities_used, 0)::bigint AS mobilities_used,
         coalesce(p.zero_grant_mobilities, 0)::bigint AS zero_grant_mobilities,
         coalesce(p.fewer_opportunity_mobilities, 0)::bigint AS fewer_opportunity_mobilities,
         coalesce(os.org_support_cents, 0)::bigint AS org_support_cents,
         coalesce(os.org_support_participants, 0)::bigint AS org_support_participants,
         coalesce(incl.inclusion_support_cents, 0)::bigint AS inclusion_support_cents,
         -- The allocation is per project x funder line (held on the beneficiary's row): what
         -- remains is a line figure, repeated on each institution's row of the line.
         (sum(coalesce(bl.allocated_cents, 0)) OVER line
           - sum(coalesce(p.reserved_cents + p.contracted_cents + p.final_cents, 0)) OVER line)::bigint AS line_remaining_cents,
         (sum(coalesce(bl.allocated_mobilities, 0)) OVER line - sum(coalesce(p.mobilities_used, 0)) OVER line)::bigint AS line_mobilities_remaining
    FROM keys k
    LEFT JOIN budget_lines bl ON bl.project_id = k.project_id AND bl.line_id = k.line_id
         AND bl.institution_id = k.institution_id AND bl.consortium_id IS NOT DISTINCT FROM k.consortium_id
    LEFT JOIN per_mobility p ON p.project_id = k.project_id AND p.line_id = k.line_id
         AND p.institution_id = k.institution_id AND p.consortium_id IS NOT DISTINCT FROM k.consortium_id
    LEFT JOIN os ON os.project_id = k.project_id AND os.line_id = k.line_id
         AND os.institution_id = k.institution_id AND os.consortium_id IS NOT DISTINCT FROM k.consortium_id
    LEFT JOIN incl ON incl.project_id = k.project_id AND incl.line_id = k.line_id
         AND incl.institution_id = k.institution_id AND incl.consortium_id IS NOT DISTINCT FROM k.consortium_id
  WINDOW line AS (PARTITION BY k.project_id, k.line_id);

-- Per project x funder line: allocated versus consumed, and what remains (cents and mobilities).
CREATE VIEW budget_line_totals AS
  SELECT c.project_id, c.funder_line_id,
         max(c.funder) AS funder,
         sum(c.allocated_cents)::bigint AS allocated_cents,
         sum(c.reserved_cents)::bigint AS reserved_cents,
         sum(c.contracted_cents)::bigint AS contracted_cents,
         sum(c.final_cents)::bigint AS final_cents,
         sum(c.committed_cents)::bigint AS committed_cents,
         sum(c.prefinanced_cents)::bigint AS prefinanced_cents,
         sum(c.paid_cents)::bigint AS paid_cents,
         sum(c.recovered_cents)::bigint AS recovered_cents,
         (sum(c.allocated_cents) - sum(c.committed_cents))::bigint AS remaining_cents,
         sum(c.allocated_mobilities)::bigint AS allocated_mobilities,
         sum(c.mobilities_used)::bigint AS mobilities_used,
         (sum(c.allocated_mobilities) - sum(c.mobilities_used))::bigint AS mobilities_remaining,
         sum(c.zero_grant_mobilities)::bigint AS zero_grant_mobilities,
         sum(c.org_support_cents)::bigint AS org_support_cents,
         sum(c.inclusion_support_cents)::bigint AS inclusion_support_cents,
         (SELECT coalesce(sum(r.amount_cents), 0) FROM budget_reservations r
           WHERE r.project_id = c.project_id AND r.line_id = c.funder_line_id AND NOT r.released)::bigint AS guard_reserved_cents,
         (SELECT count(*) FROM budget_reservations r
           WHERE r.project_id = c.project_id AND r.line_id = c.funder_line_id AND NOT r.released)::bigint AS guard_reserved_mobilities
    FROM budget_consumption c GROUP BY c.project_id, c.funder_line_id;
