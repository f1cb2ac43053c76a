import type pg from 'pg';
import { ENTERS, LIFECYCLE, type StageChangingEvent } from '../../domain/mobility/lifecycle';
import { payloadOf } from './budget';
import type { MobilityEvent } from './decode';
import type { Projection } from './runner';
import { withTakeOverSteps } from './takeover';

/**
 * Quality dashboards (migration 202): per mobility, the follow-up facts (certificate, report,
 * OLS, transcript, recognition, interruptions, force majeure) and per watched deadline whether it
 * was met; views quality_by_project / _institution / _consortium and quality_stage_counts.
 * The open due dates (migration 205, DeadlinesScheduled) feed lists and worklists.
 */
/** The furthest stage an event leads to, ranked by the lifecycle table's order (0: the event keeps the stage). */
const stageRank = (type: string): number => (Object.hasOwn(ENTERS, type) ? LIFECYCLE[ENTERS[type as StageChangingEvent]].order : 0);

/**
 * What one batch does to one mobility's quality row, folded in memory in the order the events were
 * admitted, then merged into the stored row by one upsert: the furthest stage, facts latest by
 * sequence, flags "or", counters add, the worst lateness, the earliest recognition date, the last
 * certified end date, a recognition that was once full stays full.
 */
interface QualityDelta {
  mobilityId: string;
  projectId: string;
  institutionId: string;
  consortiumId: string | null;
  stageRank: number;
  facts: { fewerOpportunities: boolean; greenTravel: boolean; seq: number } | null;
  selected: boolean;
  certificate: boolean;
  actualEndDate: string | null;
  forceMajeure: boolean;
  interruptions: number;
  interruptedDays: number;
  reportInvited: boolean;
  reportReminders: number;
  reportSubmitted: boolean;
  reportDaysLate: number | null;
  olsAssessments: number;
  olsBefore: boolean;
  olsAfter: boolean;
  transcript: boolean;
  /** The outcome the batch leaves when the stored one is not 'full'. */
  recognition: string | null;
  recognisedOn: string | null;
}

/** A watched deadline's merge of this batch: latest due date, done or missed once, worst lateness. */
interface DeadlineDelta { mobilityId: string; deadline: string; dueOn: string | null; completed: boolean; daysLate: number; missed: boolean }

const later = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a > b ? a : b);

function qualityDeltas(events: readonly MobilityEvent[]) {
  const rows = new Map<string, QualityDelta>();
  const deadlines = new Map<string, DeadlineDelta>();
  const schedules = new Map<string, { seq: number; deadlines: { deadline: string; kind: string; dueOn: string }[] }>();
  for (const e of withTakeOverSteps(events)) {
    let d = rows.get(e.mobilityId);
    if (!d) {
      d = {
        mobilityId: e.mobilityId, projectId: e.projectId, institutionId: e.institutionId, consortiumId: e.consortiumId, stageRank: 0, facts: null,
        selected: false, certificate: false, actualEndDate: null, forceMajeure: false, interruptions: 0, interruptedDays: 0, reportInvited: false,
        reportReminders: 0, reportSubmitted: false, reportDaysLate: null, olsAssessments: 0, olsBefore: false, olsAfter: false, transcript: false,
        recognition: null, recognisedOn: null,
      };
      rows.set(e.mobilityId, d);
    }
    const row = d;
    row.stageRank = Math.max(row.stageRank, stageRank(e.type));
    const facts = (f: { fewerOpportunities: boolean; greenTravel: boolean }) => {
      if (!row.facts || row.facts.seq < e.sequence) row.facts = { fewerOpportunities: f.fewerOpportunities, greenTravel: f.greenTravel, seq: e.sequence };
    };
    // A deadline known (due date), done (on time or late) or reported missed.
    const deadline = (kind: string, dueOn: string | null, how: 'open' | 'completed' | 'missed', daysLate = 0) => {
      const key = JSON.stringify([e.mobilityId, kind]);
      const x = deadlines.get(key) ?? { mobilityId: e.mobilityId, deadline: kind, dueOn: null, completed: false, daysLate: 0, missed: false };
      x.dueOn = later(x.dueOn, dueOn);
      x.completed ||= how === 'completed';
      x.missed ||= how === 'missed';
      x.daysLate = Math.max(x.daysLate, daysLate);
      deadlines.set(key, x);
    };
    switch (e.type) {
      case 'ApplicationSubmitted':
        facts(payloadOf(e, 'ApplicationSubmitted').plan);
        break;
      case 'ParticipantSelected':
        row.selected = true;
        facts(payloadOf(e, 'ParticipantSelected').facts);
        break;
      case 'GrantRecalculated':
        facts(payloadOf(e, 'GrantRecalculated').facts);
        break;
      case 'AttendanceCertified': {
        const p = payloadOf(e, 'AttendanceCertified');
        row.certificate = true;
        row.actualEndDate = p.actualEndDate;
        row.forceMajeure ||= p.forceMajeure;
        facts(p.facts);
        break;
      }
      case 'MobilityInterrupted':
        row.interruptions++;
        row.interruptedDays += payloadOf(e, 'MobilityInterrupted').days;
        break;
      case 'ForceMajeureDeclared':
        row.forceMajeure = true;
        break;
      case 'ParticipantReportInvited':
        row.reportInvited = true;
        deadline('participant-report', payloadOf(e, 'ParticipantReportInvited').dueOn, 'open');
        break;
      case 'ParticipantReportReminded':
        row.reportReminders++;
        break;
      case 'ParticipantReportSubmitted': {
        const p = payloadOf(e, 'ParticipantReportSubmitted');
        row.reportSubmitted = true;
        row.reportDaysLate = Math.max(row.reportDaysLate ?? 0, p.daysLate);
        deadline('participant-report', p.dueOn, 'completed', p.daysLate);
        break;
      }
      case 'OlsAssessmentRecorded': {
        const p = payloadOf(e, 'OlsAssessmentRecorded');
        row.olsAssessments++;
        if (p.phase === 'before') row.olsBefore = true;
        else row.olsAfter = true;
        break;
      }
      case 'TranscriptReceived': {
        const p = payloadOf(e, 'TranscriptReceived');
        row.transcript = true;
        deadline('transcript', p.dueOn, 'completed', p.daysLate);
        break;
      }
      case 'RecognitionRecorded': {
        const p = payloadOf(e, 'RecognitionRecorded');
        row.recognition = row.recognition === 'full' ? 'full' : p.outcome;
        const on = p.at.slice(0, 10);
        row.recognisedOn = row.recognisedOn === null || on < row.recognisedOn ? on : row.recognisedOn;
        if (p.dueOn !== null) deadline('recognition', p.dueOn, 'completed', p.daysLate);
        break;
      }
      case 'PaymentOrdered': {
        const p = payloadOf(e, 'PaymentOrdered');
        if (p.dueOn !== null) deadline(p.kind, p.dueOn, 'completed', p.daysLate);
        facts(p.facts);
        break;
      }
      case 'DeadlinesScheduled': {
        const p = payloadOf(e, 'DeadlinesScheduled');
        const held = schedules.get(e.mobilityId);
        if (!held || held.seq < e.sequence) schedules.set(e.mobilityId, { seq: e.sequence, deadlines: p.deadlines.map((x) => ({ deadline: x.deadline, kind: x.kind, dueOn: x.dueOn })) });
        break;
      }
      case 'DeadlineMissed': {
        const p = payloadOf(e, 'DeadlineMissed');
        deadline(p.deadline, p.dueOn, 'missed', p.daysLate);
        break;
      }
      default:
        break;
    }
  }
  return { rows: [...rows.values()], deadlines: [...deadlines.values()], schedules };
}

/**
 * One batch into the quality tables: one upsert of quality_mobilities, one of quality_deadlines,
 * and for the mobilities whose deadline schedule this batch renewed, the schedule replaced
 * (version upsert, delete, insert).
 */
async function fold(tx: pg.PoolClient, events: readonly MobilityEvent[]): Promise<void> {
  const { rows, deadlines, schedules } = qualityDeltas(events);
  const col = <T>(f: (d: QualityDelta) => T) => rows.map(f);
  await tx.query(
    `INSERT INTO quality_mobilities AS q (mobility_id, project_id, institution_id, consortium_id, stage_rank, fewer_opportunities, green_travel, facts_seq,
       selected, certificate_received, actual_end_date, force_majeure, interruptions, interrupted_days, report_invited, report_reminders, report_submitted,
       report_days_late, ols_assessments, ols_before, ols_after, transcript_received, recognition_outcome, recognised_on)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::boolean[], $7::boolean[], $8::int[],
       $9::boolean[], $10::boolean[], $11::date[], $12::boolean[], $13::int[], $14::int[], $15::boolean[], $16::int[], $17::boolean[],
       $18::int[], $19::int[], $20::boolean[], $21::boolean[], $22::boolean[], $23::text[], $24::date[])
     ON CONFLICT (mobility_id) DO UPDATE SET
       stage_rank = greatest(q.stage_rank, excluded.stage_rank),
       fewer_opportunities = CASE WHEN excluded.facts_seq > q.facts_seq THEN excluded.fewer_opportunities ELSE q.fewer_opportunities END,
       green_travel = CASE WHEN excluded.facts_seq > q.facts_seq THEN excluded.green_travel ELSE q.green_travel END,
       facts_seq = greatest(q.facts_seq, excluded.facts_seq),
       selected = q.selected OR excluded.selected,
       certificate_received = q.certificate_received OR excluded.certificate_received,
       actual_end_date = CASE WHEN excluded.certificate_received THEN excluded.actual_end_date ELSE q.actual_end_date END,
       force_majeure = q.force_majeure OR excluded.force_majeure,
       interruptions = q.interruptions + excluded.interruptions,
       interrupted_days = q.interrupted_days + excluded.interrupted_days,
       report_invited = q.report_invited OR excluded.report_invited,
       report_reminders = q.report_reminders + excluded.report_reminders,
       report_submitted = q.report_submitted OR excluded.report_submitted,
       report_days_late = CASE WHEN excluded.report_days_late IS NULL THEN q.report_days_late ELSE greatest(coalesce(q.report_days_late, 0), excluded.report_days_late) END,
       ols_assessments = q.ols_assessments + excluded.ols_assessments,
       ols_before = q.ols_before OR excluded.ols_before,
       ols_after = q.ols_after OR excluded.ols_after,
       transcript_received = q.transcript_received OR excluded.transcript_received,
       recognition_outcome = CASE WHEN q.recognition_outcome = 'full' THEN 'full' WHEN excluded.recognition_outcome IS NULL THEN q.recognition_outcome ELSE excluded.recognition_outcome END,
       recognised_on = CASE WHEN excluded.recognised_on IS NULL THEN q.recognised_on ELSE least(coalesce(q.recognised_on, excluded.recognised_on), excluded.recognised_on) END`,
    [
      col((d) => d.mobilityId), col((d) => d.projectId), col((d) => d.institutionId), col((d) => d.consortiumId), col((d) => d.stageRank),
      col((d) => d.facts?.fewerOpportunities ?? false), col((d) => d.facts?.greenTravel ?? false), col((d) => d.facts?.seq ?? -1),
      col((d) => d.selected), col((d) => d.certificate), col((d) => d.actualEndDate), col((d) => d.forceMajeure), col((d) => d.interruptions), col((d) => d.interruptedDays),
      col((d) => d.reportInvited), col((d) => d.reportReminders), col((d) => d.reportSubmitted), col((d) => d.reportDaysLate), col((d) => d.olsAssessments),
      col((d) => d.olsBefore), col((d) => d.olsAfter), col((d) => d.transcript), col((d) => d.recognition), col((d) => d.recognisedOn),
    ],
  );
  if (deadlines.length > 0) {
    await tx.query(
      `INSERT INTO quality_deadlines AS d (mobility_id, deadline, due_on, completed, days_late, missed)
       SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::boolean[], $5::int[], $6::boolean[])
       ON CONFLICT (mobility_id, deadline) DO UPDATE SET
         due_on = greatest(d.due_on, excluded.due_on),
         completed = d.completed OR excluded.completed,
         days_late = greatest(d.days_late, excluded.days_late),
         missed = d.missed OR excluded.missed`,
      [deadlines.map((x) => x.mobilityId), deadlines.map((x) => x.deadline), deadlines.map((x) => x.dueOn), deadlines.map((x) => x.completed), deadlines.map((x) => x.daysLate), deadlines.map((x) => x.missed)],
    );
  }
  if (schedules.size > 0) {
    const ids = [...schedules.keys()];
    const renewed = (await tx.query<{ mobility_id: string }>(
      `INSERT INTO quality_schedule_versions (mobility_id, seq) SELECT * FROM unnest($1::text[], $2::int[])
       ON CONFLICT (mobility_id) DO UPDATE SET seq = excluded.seq WHERE quality_schedule_versions.seq < excluded.seq RETURNING mobility_id`,
      [ids, ids.map((id) => schedules.get(id)!.seq)],
    )).rows.map((r) => r.mobility_id);
    if (renewed.length === 0) return;
    await tx.query('DELETE FROM quality_schedule WHERE mobility_id = ANY($1)', [renewed]);
    const due = renewed.flatMap((id) => schedules.get(id)!.deadlines.map((x) => ({ id, ...x })));
    if (due.length > 0) {
      await tx.query(
        'INSERT INTO quality_schedule (mobility_id, deadline, kind, due_on) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[])',
        [due.map((x) => x.id), due.map((x) => x.deadline), due.map((x) => x.kind), due.map((x) => x.dueOn)],
      );
    }
  }
}

export const qualityProjection: Projection = {
  name: 'quality',
  tables: ['quality_deadlines', 'quality_mobilities', 'quality_schedule', 'quality_schedule_versions'],
  apply: (tx, e) => fold(tx, [e]),
  applyBatch: fold,
};
