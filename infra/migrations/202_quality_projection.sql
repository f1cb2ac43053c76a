-- Quality dashboard projection (projection name 'quality'): one row per mobility and one per
-- watched deadline, folded order-independently (flags only turn on, counters add, "latest" facts
-- are guarded by the event sequence); the dashboards are views per project, institution, consortium.
CREATE TABLE quality_mobilities (
  mobility_id          text PRIMARY KEY,
  project_id           text NOT NULL,
  institution_id       text NOT NULL,
  consortium_id        text,
  -- furthest stage reached (see quality_stage_names); rejected/withdrawn/cancelled rank above all
  stage_rank           integer NOT NULL DEFAULT 0,
  selected             boolean NOT NULL DEFAULT false,
  fewer_opportunities  boolean NOT NULL DEFAULT false,
  green_travel         boolean NOT NULL DEFAULT false,
  facts_seq            integer NOT NULL DEFAULT -1,
  certificate_received boolean NOT NULL DEFAULT false,
  actual_end_date      date,
  report_invited       boolean NOT NULL DEFAULT false,
  report_reminders     integer NOT NULL DEFAULT 0,
  report_submitted     boolean NOT NULL DEFAULT false,
  report_days_late     integer,
  ols_assessments      integer NOT NULL DEFAULT 0,
  ols_before           boolean NOT NULL DEFAULT false,
  ols_after            boolean NOT NULL DEFAULT false,
  transcript_received  boolean NOT NULL DEFAULT false,
  recognition_outcome  text,
  recognised_on        date,
  interruptions        integer NOT NULL DEFAULT 0,
  interrupted_days     integer NOT NULL DEFAULT 0,
  force_majeure        boolean NOT NULL DEFAULT false
);

CREATE TABLE quality_deadlines (
  mobility_id text NOT NULL,
  deadline    text NOT NULL,
  due_on      date,
  completed   boolean NOT NULL DEFAULT false,
  days_late   integer NOT NULL DEFAULT 0,
  missed      boolean NOT NULL DEFAULT false,
  PRIMARY KEY (mobility_id, deadline)
);

CREATE TABLE quality_stage_names (rank integer PRIMARY KEY, stage text NOT NULL UNIQUE);
INSERT INTO quality_stage_names VALUES
  (10, 'applied'), (20, 'reserve-list'), (30, 'selected'), (40, 'agreed'), (50, 'departed'),
  (60, 'attended'), (70, 'reported'), (80, 'recognised'), (100, 'rejected'), (101, 'withdrawn'), (102, 'cancelled');

-- A deadline is met when done on time and never reported missed; missed when reported missed or done late.
CREATE VIEW quality_deadline_status AS
  SELECT d.*, m.project_id, m.institution_id, m.consortium_id,
         (d.completed AND d.days_late = 0 AND NOT d.missed) AS met,
         (d.missed OR (d.completed AND d.days_late > 0)) AS late_or_missed
    FROM quality_deadlines d JOIN quality_mobilities m USING (mobility_id);

-- One row per scope (project, institution or consortium): scope = 'project' | 'institution' | 'consortium'.
CREATE VIEW quality_dashboard AS
  WITH dl AS (
    SELECT mobility_id, count(*) FILTER (WHERE met) AS met, count(*) FILTER (WHERE late_or_missed) AS missed
      FROM quality_deadline_status GROUP BY mobility_id
  ),
  m AS (
    SELECT q.*, coalesce(dl.met, 0) AS deadlines_met, coalesce(dl.missed, 0) AS deadlines_missed,
           (q.recognised_on - q.actual_end_date) AS days_to_recognition
      FROM quality_mobilities q LEFT JOIN dl USING (mobility_id)
  ),
  scoped AS (
    SELECT 'project' AS scope, project_id AS scope_id, m.* FROM m
    UNION ALL SELECT 'institution', institution_id, m.* FROM m
    UNION ALL SELECT 'consortium', consortium_id, m.* FROM m WHERE consortium_id IS NOT NULL
  )
  SELECT scope, scope_id,
         count(*)::bigint AS mobilities,
         count(*) FILTER (WHERE selected)::bigint AS participants,
         count(*) FILTER (WHERE report_invited)::bigint AS reports_invited,
         count(*) FILTER (WHERE report_submitted)::bigint AS reports_submitted,
         round(count(*) FILTER (WHERE report_submitted)::numeric / nullif(count(*) FILTER (WHERE report_invited OR report_submitted), 0), 4) AS report_submission_rate,
         round(avg(report_days_late) FILTER (WHERE report_submitted), 2) AS report_avg_days_late,
         coalesce(max(report_days_late) FILTER (WHERE report_submitted), 0)::bigint AS report_max_days_late,
         coalesce(sum(ols_assessments), 0)::bigint AS ols_assessments,
         count(*) FILTER (WHERE ols_before)::bigint AS ols_before_done,
         count(*) FILTER (WHERE ols_after)::bigint AS ols_after_done,
         count(*) FILTER (WHERE certificate_received)::bigint AS certificates_received,
         count(*) FILTER (WHERE transcript_received)::bigint AS transcripts_received,
         count(*) FILTER (WHERE recognition_outcome IS NOT NULL)::bigint AS recognitions,
         count(*) FILTER (WHERE recognition_outcome = 'full')::bigint AS recognitions_full,
         round(count(*) FILTER (WHERE recognition_outcome IS NOT NULL)::numeric / nullif(count(*) FILTER (WHERE certificate_received), 0), 4) AS recognition_rate,
         round(avg(days_to_recognition) FILTER (WHERE days_to_recognition IS NOT NULL), 2) AS avg_days_to_recognition,
         coalesce(sum(deadlines_met), 0)::bigint AS deadlines_met,
         coalesce(sum(deadlines_missed), 0)::bigint AS deadlines_missed,
         count(*) FILTER (WHERE selected AND fewer_opportunities)::bigint AS fewer_opportunity_participants,
         round(count(*) FILTER (WHERE selected AND fewer_opportunities)::numeric / nullif(count(*) FILTER (WHERE selected), 0), 4) AS fewer_opportunity_share,
         count(*) FILTER (WHERE selected AND green_travel)::bigint AS green_travel_participants,
         round(count(*) FILTER (WHERE selected AND green_travel)::numeric / nullif(count(*) FILTER (WHERE selected), 0), 4) AS green_travel_share,
         coalesce(sum(interruptions), 0)::bigint AS interruptions,
         coalesce(sum(interrupted_days), 0)::bigint AS interrupted_days,
         count(*) FILTER (WHERE force_majeure)::bigint AS force_majeure
    FROM scoped GROUP BY scope, scope_id;

CREATE VIEW quality_by_project AS SELECT * FROM quality_dashboard WHERE scope = 'project';
CREATE VIEW quality_by_institution AS SELECT * FROM quality_dashboard WHERE scope = 'institution';
CREATE VIEW quality_by_consortium AS SELECT * FROM quality_dashboard WHERE scope = 'consortium';

-- Mobilities per current stage, per scope.
CREATE VIEW quality_stage_counts AS
  WITH m AS (SELECT q.*, coalesce(s.stage, 'unknown') AS stage FROM quality_mobilities q LEFT JOIN quality_stage_names s ON s.rank = q.stage_rank)
  SELECT 'project' AS scope, project_id AS scope_id, stage, count(*)::bigint AS mobilities FROM m GROUP BY 2, 3
  UNION ALL SELECT 'institution', institution_id, stage, count(*) FROM m GROUP BY 2, 3
  UNION ALL SELECT 'consortium', consortium_id, stage, count(*) FROM m WHERE consortium_id IS NOT NULL GROUP BY 2, 3;
