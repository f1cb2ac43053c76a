-- Co-funding (domain/funding): one mobility may hold a reservation per funder line (its own line's Erasmus+
-- amount and each co-funding line's share), so the guard's reservations are keyed by line as well.
ALTER TABLE budget_reservations DROP CONSTRAINT budget_reservations_pkey;
ALTER TABLE budget_reservations ADD PRIMARY KEY (project_id, mobility_id, line_id);

-- The co-funded shares of a mobility's estimate and final grant (ParticipantSelected, GrantRecalculated,
-- AttendanceCertified v2 `funding`), one row per line and rule, replaced with the grant of the same phase.
-- A mobility funded by Erasmus+ alone has none: its Erasmus+ figures are budget_mobilities' own.
CREATE TABLE budget_funding_shares (
  mobility_id     text NOT NULL,
  phase           text NOT NULL CHECK (phase IN ('estimated', 'final')),
  share_no        integer NOT NULL,
  line_id         text NOT NULL,
  funder          text NOT NULL,
  rule_id         text NOT NULL,
  amount_cents    bigint NOT NULL,
  basis           text NOT NULL,
  source_event_id text NOT NULL,
  PRIMARY KEY (mobility_id, phase, share_no)
);
CREATE INDEX budget_funding_shares_line ON budget_funding_shares (line_id);

-- Consumption per project x funder line of the co-funded mobilities: what each line pays of the grants in force
-- (the final grant once certified, otherwise the estimate; rejected, withdrawn and cancelled mobilities left out),
-- beside what the budget guard holds on the line. The Erasmus+ line's share here is the Erasmus+ grant of the
-- co-funded mobilities only; budget_line_totals stays the Erasmus+ consumption of every mobility by its own line.
CREATE VIEW budget_line_shares AS
  WITH live AS (
    SELECT m.project_id, s.line_id, s.funder, s.mobility_id, s.rule_id, s.amount_cents
      FROM budget_funding_shares s JOIN budget_mobilities m USING (mobility_id)
     WHERE m.ended IS NULL AND s.phase = CASE WHEN m.certified THEN 'final' ELSE 'estimated' END
  )
  SELECT l.project_id, l.line_id, max(l.funder) AS funder,
         count(DISTINCT l.mobility_id)::bigint AS co_funded_mobilities,
         count(DISTINCT l.mobility_id) FILTER (WHERE l.amount_cents > 0)::bigint AS paid_mobilities,
         sum(l.amount_cents)::bigint AS committed_cents,
         (SELECT coalesce(sum(r.amount_cents), 0) FROM budget_reservations r
           WHERE r.project_id = l.project_id AND r.line_id = l.line_id AND NOT r.released)::bigint AS guard_reserved_cents
    FROM live l GROUP BY l.project_id, l.line_id;
