import type pg from 'pg';
import { ENTERS, LIFECYCLE, type StageChangingEvent } from '../../domain/mobility/lifecycle';
import { payloadOf } from './budget';
import type { MobilityEvent } from './decode';
import type { Projection } from './runner';

/**
 * Quality dashboards (migration 202): per mobility, the follow-up facts (certificate, report,
 * OLS, transcript, recognition, interruptions, force majeure) and per watched deadline whether it
 * was met; views quality_by_project / _institution / _consortium and quality_stage_counts.
 * The open due dates (migration 205, DeadlinesScheduled) feed lists and worklists.
 */
/** The furthest stage an event leads to, ranked by the lifecycle table's order (0: the event keeps the stage). */
const stageRank = (type: string): number => (Object.hasOwn(ENTERS, type) ? LIFECYCLE[ENTERS[type as StageChangingEvent]].order : 0);

const set = (tx: pg.PoolClient, e: MobilityEvent, assignments: string, params: unknown[] = []) =>
  tx.query(`UPDATE quality_mobilities SET ${assignments} WHERE mobility_id = $1`, [e.mobilityId, ...params]);

async function facts(tx: pg.PoolClient, e: MobilityEvent, f: { fewerOpportunities: boolean; greenTravel: boolean }): Promise<void> {
  await tx.query(
    `UPDATE quality_mobilities SET fewer_opportunities = $2, green_travel = $3, facts_seq = $4 WHERE mobility_id = $1 AND facts_seq < $4`,
    [e.mobilityId, f.fewerOpportunities, f.greenTravel, e.sequence],
  );
}

/** A deadline done (on time or late), or reported missed; the worst lateness seen is kept. */
async function deadline(tx: pg.PoolClient, e: MobilityEvent, kind: string, dueOn: string | null, daysLate: number, how: 'completed' | 'missed'): Promise<void> {
  await tx.query(
    `INSERT INTO quality_deadlines (mobility_id, deadline, due_on, completed, days_late, missed) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (mobility_id, deadline) DO UPDATE SET
       due_on = greatest(quality_deadlines.due_on, excluded.due_on),
       completed = quality_deadlines.completed OR excluded.completed,
       days_late = greatest(quality_deadlines.days_late, excluded.days_late),
       missed = quality_deadlines.missed OR excluded.missed`,
    [e.mobilityId, kind, dueOn, how === 'completed', daysLate, how === 'missed'],
  );
}

/** A watched deadline is known (due date) but not done yet. */
async function openDeadline(tx: pg.PoolClient, e: MobilityEvent, kind: string, dueOn: string): Promise<void> {
  await tx.query(
    `INSERT INTO quality_deadlines (mobility_id, deadline, due_on) VALUES ($1, $2, $3)
     ON CONFLICT (mobility_id, deadline) DO UPDATE SET due_on = greatest(quality_deadlines.due_on, excluded.due_on)`,
    [e.mobilityId, kind, dueOn],
  );
}

export const qualityProjection: Projection = {
  name: 'quality',
  tables: ['quality_deadlines', 'quality_mobilities', 'quality_schedule', 'quality_schedule_versions'],
  async apply(tx, e) {
    // One statement: create the row or move its stage forward (never back).
    await tx.query(
      `INSERT INTO quality_mobilities (mobility_id, project_id, institution_id, consortium_id, stage_rank) VALUES ($1,$2,$3,$4,$5)
       ON CONFLICT (mobility_id) DO UPDATE SET stage_rank = excluded.stage_rank WHERE quality_mobilities.stage_rank < excluded.stage_rank`,
      [e.mobilityId, e.projectId, e.institutionId, e.consortiumId, stageRank(e.type)],
    );
    switch (e.type) {
      case 'ApplicationSubmitted': {
        const p = payloadOf(e, 'ApplicationSubmitted');
        return facts(tx, e, p.plan);
      }
      case 'ParticipantSelected': {
        await set(tx, e, 'selected = true');
        return facts(tx, e, payloadOf(e, 'ParticipantSelected').facts);
      }
      case 'GrantRecalculated':
        return facts(tx, e, payloadOf(e, 'GrantRecalculated').facts);
      case 'AttendanceCertified': {
        const p = payloadOf(e, 'AttendanceCertified');
        await set(tx, e, 'certificate_received = true, actual_end_date = $2, force_majeure = force_majeure OR $3', [p.actualEndDate, p.forceMajeure]);
        return facts(tx, e, p.facts);
      }
      case 'MobilityInterrupted': {
        const p = payloadOf(e, 'MobilityInterrupted');
        await set(tx, e, 'interruptions = interruptions + 1, interrupted_days = interrupted_days + $2', [p.days]);
        return;
      }
      case 'ForceMajeureDeclared':
        await set(tx, e, 'force_majeure = true');
        return;
      case 'ParticipantReportInvited':
        await set(tx, e, 'report_invited = true');
        return openDeadline(tx, e, 'participant-report', payloadOf(e, 'ParticipantReportInvited').dueOn);
      case 'ParticipantReportReminded':
        await set(tx, e, 'report_reminders = report_reminders + 1');
        return;
      case 'ParticipantReportSubmitted': {
        const p = payloadOf(e, 'ParticipantReportSubmitted');
        await set(tx, e, 'report_submitted = true, report_days_late = greatest(coalesce(report_days_late, 0), $2)', [p.daysLate]);
        return deadline(tx, e, 'participant-report', p.dueOn, p.daysLate, 'completed');
      }
      case 'OlsAssessmentRecorded': {
        const p = payloadOf(e, 'OlsAssessmentRecorded');
        await set(tx, e, `ols_assessments = ols_assessments + 1, ${p.phase === 'before' ? 'ols_before' : 'ols_after'} = true`);
        return;
      }
      case 'TranscriptReceived': {
        const p = payloadOf(e, 'TranscriptReceived');
        await set(tx, e, 'transcript_received = true');
        return deadline(tx, e, 'transcript', p.dueOn, p.daysLate, 'completed');
      }
      case 'RecognitionRecorded': {
        const p = payloadOf(e, 'RecognitionRecorded');
        await set(tx, e, `recognition_outcome = CASE WHEN recognition_outcome = 'full' THEN 'full' ELSE $2 END, recognised_on = least(coalesce(recognised_on, $3::date), $3::date)`, [p.outcome, p.at.slice(0, 10)]);
        if (p.dueOn !== null) await deadline(tx, e, 'recognition', p.dueOn, p.daysLate, 'completed');
        return;
      }
      case 'PaymentOrdered': {
        const p = payloadOf(e, 'PaymentOrdered');
        if (p.dueOn !== null) await deadline(tx, e, p.kind, p.dueOn, p.daysLate, 'completed');
        return facts(tx, e, p.facts);
      }
      case 'DeadlinesScheduled': {
        const p = payloadOf(e, 'DeadlinesScheduled');
        const newer = await tx.query(
          `INSERT INTO quality_schedule_versions (mobility_id, seq) VALUES ($1, $2)
           ON CONFLICT (mobility_id) DO UPDATE SET seq = excluded.seq WHERE quality_schedule_versions.seq < excluded.seq`,
          [e.mobilityId, e.sequence],
        );
        if (newer.rowCount !== 1) return;
        await tx.query('DELETE FROM quality_schedule WHERE mobility_id = $1', [e.mobilityId]);
        await tx.query(
          `INSERT INTO quality_schedule (mobility_id, deadline, kind, due_on) SELECT $1, d, k, o FROM unnest($2::text[], $3::text[], $4::date[]) AS t(d, k, o)`,
          [e.mobilityId, p.deadlines.map((d) => d.deadline), p.deadlines.map((d) => d.kind), p.deadlines.map((d) => d.dueOn)],
        );
        return;
      }
      case 'DeadlineMissed': {
        const p = payloadOf(e, 'DeadlineMissed');
        return deadline(tx, e, p.deadline, p.dueOn, p.daysLate, 'missed');
      }
      default:
        return;
    }
  },
};
