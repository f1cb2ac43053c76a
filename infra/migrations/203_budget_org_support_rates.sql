-- Organisational support and inclusion support for organisations, priced per call year with the
-- rule ids of the grant calculator (domain/grant/rule-ids.ts) and the amounts of its rate tables
-- (domain/grant/rates; a test checks that this table matches them).
DROP VIEW budget_line_totals;
DROP VIEW budget_consumption;
DROP VIEW budget_inclusion_lines;
DROP VIEW budget_org_support_lines;
DROP TABLE budget_org_support_tiers;

CREATE TABLE budget_org_support_rates (
  from_call_year        integer PRIMARY KEY,
  ka131_per_participant bigint NOT NULL,
  ka131_threshold       integer NOT NULL,
  ka131_above_threshold bigint NOT NULL,
  bip_per_participant   bigint NOT NULL,
  ka12x_per_participant bigint NOT NULL,
  inclusion_per_participant bigint NOT NULL
);
INSERT INTO budget_org_support_rates VALUES
  (2021, 40000, 100, 23000, 40000, 10000, 10000),
  (2022, 40000, 100, 23000, 40000, 10000, 10000),
  (2023, 40000, 100, 23000, 40000, 10000, 10000),
  (2024, 40000, 100, 23000, 40000, 10000, 12500),
  (2025, 40000, 100, 23000, 40000, 10000, 12500),
  (2026, 40000, 100, 23000, 40000, 10000, 12500);

-- Organisational support earned: one line per certified participant (zero-grant ones count).
-- KA131 HE mobilities are ranked within their project by certification time, then mobility id:
-- ORG-KA131 up to the threshold, ORG-KA131-ABOVE-100 beyond; BIP ORG-KA131-BIP; other sectors ORG-KA12X.
CREATE VIEW budget_org_support_lines AS
  WITH certified AS (
    SELECT s.mobility_id, s.project_id, s.funder_line_id, s.institution_id, s.consortium_id, s.activity, s.certified_at,
           coalesce((SELECT max(l.call_year) FROM budget_grant_lines l WHERE l.mobility_id = s.mobility_id AND l.phase = 'final'), 2021) AS call_year,
           CASE WHEN s.activity = 'HE-BIP' THEN 'bip' WHEN s.activity LIKE 'HE-%' THEN 'ka131' ELSE 'ka12x' END AS scheme
      FROM budget_mobility_status s WHERE s.budget_status = 'final'
  ),
  ranked AS (
    SELECT c.*, row_number() OVER (PARTITION BY c.project_id, c.scheme ORDER BY c.certified_at, c.mobility_id) AS participant_rank,
           (SELECT r FROM budget_org_support_rates r WHERE r.from_call_year <= c.call_year ORDER BY r.from_call_year DESC LIMIT 1) AS rate
      FROM certified c
  )
  SELECT mobility_id, project_id, funder_line_id, institution_id, consortium_id, activity, call_year, scheme, participant_rank,
         CASE WHEN scheme = 'bip' THEN 'ORG-KA131-BIP'
              WHEN scheme = 'ka12x' THEN 'ORG-KA12X'
              WHEN participant_rank <= (rate).ka131_threshold THEN 'ORG-KA131'
              ELSE 'ORG-KA131-ABOVE-100' END AS rule_id,
         CASE WHEN scheme = 'bip' THEN (rate).bip_per_participant
              WHEN scheme = 'ka12x' THEN (rate).ka12x_per_participant
              WHEN participant_rank <= (rate).ka131_threshold THEN (rate).ka131_per_participant
              ELSE (rate).ka131_above_threshold END AS amount_cents,
         format('participant %s of the project (%s), call %s', participant_rank, scheme, call_year) AS basis
    FROM ranked;

-- Inclusion support for participants: the real-cost grant lines.
CREATE VIEW budget_inclusion_lines AS
  SELECT * FROM budget_mobility_grant_lines WHERE rule_id = 'GRANT-INCLUSION-REAL-COSTS';

-- Inclusion support for organisations: per certified fewer-opportunity participant who receives
-- real-cost inclusion support (125 EUR from call 2024, 100 EUR before).
CREATE VIEW budget_org_inclusion_lines AS
  SELECT s.mobility_id, s.project_id, s.funder_line_id, s.institution_id, s.consortium_id, l.call_year,
         'ORG-INCLUSION'::text AS rule_id,
         (SELECT r.inclusion_per_participant FROM budget_org_support_rates r WHERE r.from_call_year <= l.call_year ORDER BY r.from_call_year DESC LIMIT 1) AS amount_cents
    FROM budget_mobility_status s
    JOIN (SELECT mobility_id, max(call_year) AS call_year FROM budget_grant_lines
           WHERE phase = 'final' AND rule_id = 'GRANT-INCLUSION-REAL-COSTS' AND amount_cents > 0 GROUP BY mobility_id) l USING (mobility_id)
   WHERE s.budget_status = 'final' AND s.fewer_opportunities;

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
  org_incl AS (
    SELECT project_id, coalesce(funder_line_id, '') AS line_id, institution_id, consortium_id, sum(amount_cents) AS org_inclusion_support_cents
      FROM budget_org_inclusion_lines GROUP BY 1, 2, 3, 4
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
         coalesce(org_incl.org_inclusion_support_cents, 0)::bigint AS org_inclusion_support_cents,
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
    LEFT JOIN org_incl ON org_incl.project_id = k.project_id AND org_incl.line_id = k.line_id
         AND org_incl.institution_id = k.institution_id AND org_incl.consortium_id IS NOT DISTINCT FROM k.consortium_id
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
         sum(c.org_inclusion_support_cents)::bigint AS org_inclusion_support_cents,
         (SELECT coalesce(sum(r.amount_cents), 0) FROM budget_reservations r
           WHERE r.project_id = c.project_id AND r.line_id = c.funder_line_id AND NOT r.released)::bigint AS guard_reserved_cents,
         (SELECT count(*) FROM budget_reservations r
           WHERE r.project_id = c.project_id AND r.line_id = c.funder_line_id AND NOT r.released)::bigint AS guard_reserved_mobilities
    FROM budget_consumption c GROUP BY c.project_id, c.funder_line_id;
