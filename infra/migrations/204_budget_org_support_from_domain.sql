-- Organisational support and inclusion support for organisations are priced by the domain
-- (domain/project/organisational.ts participantSupportLines, rate tables in domain/grant/rates),
-- not in SQL: the budget projector recomputes a project's lines after each batch that touches one
-- of its certified mobilities and stores them in budget_org_support. The views below only sum
-- stored amounts; "remaining" (allocated - committed) is computed once, per budget_consumption row.
DROP VIEW budget_line_totals;
DROP VIEW budget_consumption;
DROP VIEW budget_org_inclusion_lines;
DROP VIEW budget_org_support_lines;
DROP TABLE budget_org_support_rates;

-- The call year of a mobility's final grant (AttendanceCertified): it prices the participant.
ALTER TABLE budget_mobilities ADD COLUMN final_call_year integer;

-- One row per certified participant and kind: 'organisational' (ORG-KA131, ORG-KA131-ABOVE-100,
-- ORG-KA131-BIP, ORG-KA12X) and, for a fewer-opportunity participant paid real-cost inclusion
-- support, 'inclusion' (ORG-INCLUSION). Written only by the budget projector, from the domain.
CREATE TABLE budget_org_support (
  mobility_id      text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('organisational', 'inclusion')),
  project_id       text NOT NULL,
  scheme           text NOT NULL,
  participant_rank integer NOT NULL,
  call_year        integer NOT NULL,
  rule_id          text NOT NULL,
  item             text NOT NULL,
  amount_cents     bigint NOT NULL,
  basis            text NOT NULL,
  PRIMARY KEY (mobility_id, kind)
);
CREATE INDEX budget_org_support_project ON budget_org_support (project_id);

-- The stored budget rows have no final call year and no organisational support yet: the budget
-- projection starts again from the beginning of the topics (kept forever). The projector refolds
-- it on its next start; `npm run projections:rebuild budget` does it in one transaction.
TRUNCATE budget_grant_lines, budget_mobilities, budget_reservations, budget_lines;
DELETE FROM processed_events WHERE projector = 'budget';
DELETE FROM projection_offsets WHERE projection = 'budget';

-- Organisational support earned: one line per certified participant (zero-grant ones count).
CREATE VIEW budget_org_support_lines AS
  SELECT o.mobility_id, o.project_id, m.funder_line_id, m.institution_id, m.consortium_id, m.activity, o.call_year, o.scheme, o.participant_rank,
         o.rule_id, o.amount_cents, o.basis
    FROM budget_org_support o JOIN budget_mobilities m USING (mobility_id)
   WHERE o.kind = 'organisational';

-- Inclusion support for organisations: one line per certified fewer-opportunity participant paid
-- real-cost inclusion support.
CREATE VIEW budget_org_inclusion_lines AS
  SELECT o.mobility_id, o.project_id, m.funder_line_id, m.institution_id, m.consortium_id, o.call_year, o.rule_id, o.amount_cents, o.basis
    FROM budget_org_support o JOIN budget_mobilities m USING (mobility_id)
   WHERE o.kind = 'inclusion';

-- Consumption per project x funder line x institution x consortium. remaining_cents and
-- mobilities_remaining are this row's allocation minus its commitments; the allocation is held on
-- the beneficiary's row, so a line's remaining is the sum over the line's rows (line_remaining_*).
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
  org_incl AS (
    SELECT project_id, coalesce(funder_line_id, '') AS line_id, institution_id, consortium_id, sum(amount_cents) AS org_inclusion_support_cents
      FROM budget_org_inclusion_lines GROUP BY 1, 2, 3, 4
  ),
  keys AS (
    SELECT project_id, line_id, institution_id, consortium_id FROM per_mobility
    UNION SELECT project_id, line_id, institution_id, consortium_id FROM budget_lines
  ),
  figures AS (
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
           coalesce(org_incl.org_inclusion_support_cents, 0)::bigint AS org_inclusion_support_cents
      FROM keys k
      LEFT JOIN budget_lines bl ON bl.project_id = k.project_id AND bl.line_id = k.line_id
           AND bl.institution_id = k.institution_id AND bl.consortium_id IS NOT DISTINCT FROM k.consortium_id
      LEFT JOIN per_mobility p ON p.project_id = k.project_id AND p.line_id = k.line_id
           AND p.institution_id = k.institution_id AND p.consortium_id IS NOT DISTINCT FROM k.consortium_id
      LEFT JOIN os ON os.project_id = k.project_id AND os.line_id = k.line_id
           AND os.institution_id = k.institution_id AND os.consortium_id IS NOT DISTINCT FROM k.consortium_id
      LEFT JOIN incl ON incl.project_id = k.project_id AND incl.line_id = k.line_id
           AND incl.institution_id = k.institution_id AND incl.consortium_id IS NOT DISTINCT FROM k.consortium_id
      LEFT JOIN org_incl ON org_incl.project_id = k.project_id AND org_incl.line_id = k.line_id
           AND org_incl.institution_id = k.institution_id AND org_incl.consortium_id IS NOT DISTINCT FROM k.consortium_id
  ),
  remaining AS (
    SELECT r.*, (r.allocated_cents - r.committed_cents)::bigint AS remaining_cents,
           (r.allocated_mobilities - r.mobilities_used)::bigint AS mobilities_remaining
      FROM figures r
  )
  SELECT r.project_id, r.funder_line_id, r.institution_id, r.consortium_id, r.funder, r.allocated_cents, r.allocated_mobilities,
         r.reserved_cents, r.contracted_cents, r.final_cents, r.committed_cents, r.prefinanced_cents, r.paid_cents, r.recovered_cents,
         r.mobilities_used, r.zero_grant_mobilities, r.fewer_opportunity_mobilities, r.org_support_cents, r.org_support_participants,
         r.inclusion_support_cents, r.org_inclusion_support_cents,
         -- What remains on the whole line, repeated on each institution's row of the line.
         (sum(r.remaining_cents) OVER line)::bigint AS line_remaining_cents,
         (sum(r.mobilities_remaining) OVER line)::bigint AS line_mobilities_remaining,
         r.remaining_cents, r.mobilities_remaining
    FROM remaining r
  WINDOW line AS (PARTITION BY r.project_id, r.funder_line_id);

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
         sum(c.remaining_cents)::bigint AS remaining_cents,
         sum(c.allocated_mobilities)::bigint AS allocated_mobilities,
         sum(c.mobilities_used)::bigint AS mobilities_used,
         sum(c.mobilities_remaining)::bigint AS mobilities_remaining,
         sum(c.zero_grant_mobilities)::bigint AS zero_grant_mobilities,
         sum(c.org_support_cents)::bigint AS org_support_cents,
         sum(c.inclusion_support_cents)::bigint AS inclusion_support_cents,
         sum(c.org_inclusion_support_cents)::bigint AS org_inclusion_support_cents,
         (SELECT coalesce(sum(r.amount_cents), 0) FROM budget_reservations r
           WHERE r.project_id = c.project_id AND r.line_id = c.funder_line_id AND NOT r.released)::bigint AS guard_reserved_cents,
         (SELECT count(*) FROM budget_reservations r
           WHERE r.project_id = c.project_id AND r.line_id = c.funder_line_id AND NOT r.released)::bigint AS guard_reserved_mobilities
    FROM budget_consumption c GROUP BY c.project_id, c.funder_line_id;
