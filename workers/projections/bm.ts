import type pg from 'pg';
import type { GrantBreakdown } from '../../domain/grant/breakdown';
import { ENTERS } from '../../domain/mobility/lifecycle';
import { payloadOf } from './budget';
import type { MobilityEvent } from './decode';
import type { Projection } from './runner';
import { withTakeOverSteps } from './takeover';

/**
 * The Beneficiary Module projection (migration 370): per mobility, the latest facts the BM's mobility
 * import file needs (reference §3) and its grant rule lines (estimate and final). The export
 * (workers/api/exports.ts) joins the registry's personal fields at export time; nothing personal is
 * stored here.
 *
 * Folded set-based like the others: a batch is folded in memory per mobility in admission order,
 * then merged into the stored row by one upsert. Order-independent: each "latest" group of facts
 * carries the sequence of its event and wins only over an older one; flags only turn on; counters
 * add (each event is folded once, the runner dedupes); the application's facts are kept from the
 * first that arrives (they never change).
 */
interface Seq<T> { seq: number; v: T }
interface Grant { seq: number; g: GrantBreakdown }

interface BmDelta {
  mobilityId: string;
  projectId: string;
  institutionId: string;
  consortiumId: string | null;
  app: { siteId: string | null; participantRef: string; sendingCountry: string; hostOrgId: string; distanceKm: number | null; longTerm: boolean; plannedStart: string; plannedEnd: string; plannedDays: number } | null;
  facts: Seq<{ activity: string; funderLineId: string; receivingCountry: string; fewerOpportunities: boolean; greenTravel: boolean }> | null;
  departure: Seq<string> | null;
  extension: Seq<string> | null;
  certificate: Seq<{ start: string; end: string; physicalDays: number; interruptedDays: number }> | null;
  interruptedDays: number;
  forceMajeure: boolean;
  conditions: Seq<boolean> | null;
  selected: boolean;
  ended: Seq<string> | null;
  estimate: Grant | null;
  final: Grant | null;
  reportInvited: boolean;
  reportReminders: number;
  reportSubmittedOn: string | null;
  lastEventAt: string;
}

const latest = <T>(held: Seq<T> | null, seq: number, v: T): Seq<T> => (!held || held.seq < seq ? { seq, v } : held);
const laterInstant = (a: string, b: string) => (Date.parse(a) >= Date.parse(b) ? a : b);

function bmDeltas(events: readonly MobilityEvent[]): BmDelta[] {
  const out = new Map<string, BmDelta>();
  // A mobility taken over under way is folded through the steps its TakeOverRecorded carries (takeover.ts).
  for (const e of withTakeOverSteps(events)) {
    let d = out.get(e.mobilityId);
    if (!d) {
      d = {
        mobilityId: e.mobilityId, projectId: e.projectId, institutionId: e.institutionId, consortiumId: e.consortiumId, app: null, facts: null,
        departure: null, extension: null, certificate: null, interruptedDays: 0, forceMajeure: false, conditions: null, selected: false, ended: null,
        estimate: null, final: null, reportInvited: false, reportReminders: 0, reportSubmittedOn: null, lastEventAt: e.occurredAt,
      };
      out.set(e.mobilityId, d);
    }
    const x = d;
    x.lastEventAt = laterInstant(x.lastEventAt, e.occurredAt);
    const facts = (f: { activity: string; funderLineId: string; hostCountry: string; fewerOpportunities: boolean; greenTravel: boolean }) => {
      x.facts = latest(x.facts, e.sequence, { activity: f.activity, funderLineId: f.funderLineId, receivingCountry: f.hostCountry, fewerOpportunities: f.fewerOpportunities, greenTravel: f.greenTravel });
    };
    const grant = (held: Grant | null, g: GrantBreakdown): Grant => (!held || held.seq < e.sequence ? { seq: e.sequence, g } : held);
    switch (e.type) {
      case 'ApplicationSubmitted': {
        const p = payloadOf(e, 'ApplicationSubmitted');
        x.app ??= {
          siteId: p.siteId, participantRef: p.participantRef, sendingCountry: p.plan.sendingCountry, hostOrgId: p.plan.hostOrgId, distanceKm: p.plan.distanceKm,
          longTerm: p.plan.longTerm, plannedStart: p.plan.startDate, plannedEnd: p.plan.endDate, plannedDays: p.plannedDays,
        };
        facts({ activity: p.activity, funderLineId: p.funderLineId, hostCountry: p.plan.receivingCountry, fewerOpportunities: p.plan.fewerOpportunities, greenTravel: p.plan.greenTravel });
        break;
      }
      case 'ParticipantSelected': {
        const p = payloadOf(e, 'ParticipantSelected');
        x.selected = true;
        facts(p.facts);
        x.estimate = grant(x.estimate, p.estimatedGrant);
        break;
      }
      case 'GrantRecalculated': {
        const p = payloadOf(e, 'GrantRecalculated');
        facts(p.facts);
        x.estimate = grant(x.estimate, p.estimatedGrant);
        break;
      }
      case 'DepartureConfirmed':
        x.departure = latest(x.departure, e.sequence, payloadOf(e, 'DepartureConfirmed').actualStartDate);
        break;
      case 'ExtensionApproved':
        x.extension = latest(x.extension, e.sequence, payloadOf(e, 'ExtensionApproved').newEndDate);
        break;
      case 'AttendanceCertified': {
        const p = payloadOf(e, 'AttendanceCertified');
        facts(p.facts);
        x.certificate = latest(x.certificate, e.sequence, { start: p.actualStartDate, end: p.actualEndDate, physicalDays: p.physicalDays, interruptedDays: p.interruptedDays });
        x.forceMajeure ||= p.forceMajeure;
        x.final = grant(x.final, p.finalGrant);
        break;
      }
      case 'MobilityInterrupted':
        x.interruptedDays += payloadOf(e, 'MobilityInterrupted').days;
        break;
      case 'ForceMajeureDeclared':
        x.forceMajeure = true;
        break;
      case 'GrantConditionsRecorded':
        x.conditions = latest(x.conditions, e.sequence, payloadOf(e, 'GrantConditionsRecorded').zeroGrant);
        break;
      case 'ParticipantReportInvited':
        x.reportInvited = true;
        break;
      case 'ParticipantReportReminded':
        x.reportReminders++;
        break;
      case 'ParticipantReportSubmitted': {
        const on = payloadOf(e, 'ParticipantReportSubmitted').submittedOn;
        x.reportSubmittedOn = x.reportSubmittedOn === null || on < x.reportSubmittedOn ? on : x.reportSubmittedOn;
        break;
      }
      case 'PaymentOrdered':
        facts(payloadOf(e, 'PaymentOrdered').facts);
        break;
      case 'RecoveryOrdered':
        facts(payloadOf(e, 'RecoveryOrdered').facts);
        break;
      case 'ApplicationRejected':
      case 'ApplicationWithdrawn':
        x.ended = latest(x.ended, e.sequence, ENTERS[e.type]);
        break;
      case 'MobilityCancelled':
        facts(payloadOf(e, 'MobilityCancelled').facts);
        x.ended = latest(x.ended, e.sequence, ENTERS.MobilityCancelled);
        break;
      default:
        break;
    }
  }
  return [...out.values()];
}

/** One batch into bm_mobilities (one upsert) and bm_grant_lines (the phases whose grant this batch replaced: one delete, one insert). */
async function fold(tx: pg.PoolClient, events: readonly MobilityEvent[]): Promise<void> {
  const ds = bmDeltas(events);
  if (ds.length === 0) return;
  const col = <T>(f: (d: BmDelta) => T) => ds.map(f);
  const won = (await tx.query<{ mobility_id: string; estimate_seq: number; final_seq: number }>(
    `INSERT INTO bm_mobilities AS m (mobility_id, project_id, institution_id, consortium_id,
       site_id, participant_ref, sending_country, host_org_id, distance_km, long_term, planned_start, planned_end, planned_days,
       activity, funder_line_id, receiving_country, fewer_opportunities, green_travel, facts_seq,
       departed_on, departure_seq, extended_end, extension_seq,
       certified, actual_start, actual_end, physical_days, certified_interrupted_days, certificate_seq,
       interrupted_days, force_majeure, zero_grant, conditions_seq, selected, ended, ended_seq,
       estimate_seq, estimate_call_year, estimate_days, estimate_cents, final_seq, final_call_year, final_days, final_cents,
       report_invited, report_reminders, report_submitted_on, last_event_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
       $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::boolean[], $11::date[], $12::date[], $13::int[],
       $14::text[], $15::text[], $16::text[], $17::boolean[], $18::boolean[], $19::int[],
       $20::date[], $21::int[], $22::date[], $23::int[],
       $24::boolean[], $25::date[], $26::date[], $27::int[], $28::int[], $29::int[],
       $30::int[], $31::boolean[], $32::boolean[], $33::int[], $34::boolean[], $35::text[], $36::int[],
       $37::int[], $38::int[], $39::int[], $40::bigint[], $41::int[], $42::int[], $43::int[], $44::bigint[],
       $45::boolean[], $46::int[], $47::date[], $48::timestamptz[])
     ON CONFLICT (mobility_id) DO UPDATE SET
       site_id = CASE WHEN m.participant_ref IS NULL THEN excluded.site_id ELSE m.site_id END,
       participant_ref = coalesce(m.participant_ref, excluded.participant_ref),
       sending_country = coalesce(m.sending_country, excluded.sending_country),
       host_org_id = coalesce(m.host_org_id, excluded.host_org_id),
       distance_km = CASE WHEN m.participant_ref IS NULL THEN excluded.distance_km ELSE m.distance_km END,
       long_term = coalesce(m.long_term, excluded.long_term),
       planned_start = coalesce(m.planned_start, excluded.planned_start),
       planned_end = coalesce(m.planned_end, excluded.planned_end),
       planned_days = coalesce(m.planned_days, excluded.planned_days),
       activity = CASE WHEN excluded.facts_seq > m.facts_seq THEN excluded.activity ELSE m.activity END,
       funder_line_id = CASE WHEN excluded.facts_seq > m.facts_seq THEN excluded.funder_line_id ELSE m.funder_line_id END,
       receiving_country = CASE WHEN excluded.facts_seq > m.facts_seq THEN excluded.receiving_country ELSE m.receiving_country END,
       fewer_opportunities = CASE WHEN excluded.facts_seq > m.facts_seq THEN excluded.fewer_opportunities ELSE m.fewer_opportunities END,
       green_travel = CASE WHEN excluded.facts_seq > m.facts_seq THEN excluded.green_travel ELSE m.green_travel END,
       facts_seq = greatest(m.facts_seq, excluded.facts_seq),
       departed_on = CASE WHEN excluded.departure_seq > m.departure_seq THEN excluded.departed_on ELSE m.departed_on END,
       departure_seq = greatest(m.departure_seq, excluded.departure_seq),
       extended_end = CASE WHEN excluded.extension_seq > m.extension_seq THEN excluded.extended_end ELSE m.extended_end END,
       extension_seq = greatest(m.extension_seq, excluded.extension_seq),
       certified = m.certified OR excluded.certified,
       actual_start = CASE WHEN excluded.certificate_seq > m.certificate_seq THEN excluded.actual_start ELSE m.actual_start END,
       actual_end = CASE WHEN excluded.certificate_seq > m.certificate_seq THEN excluded.actual_end ELSE m.actual_end END,
       physical_days = CASE WHEN excluded.certificate_seq > m.certificate_seq THEN excluded.physical_days ELSE m.physical_days END,
       certified_interrupted_days = CASE WHEN excluded.certificate_seq > m.certificate_seq THEN excluded.certified_interrupted_days ELSE m.certified_interrupted_days END,
       certificate_seq = greatest(m.certificate_seq, excluded.certificate_seq),
       interrupted_days = m.interrupted_days + excluded.interrupted_days,
       force_majeure = m.force_majeure OR excluded.force_majeure,
       zero_grant = CASE WHEN excluded.conditions_seq > m.conditions_seq THEN excluded.zero_grant ELSE m.zero_grant END,
       conditions_seq = greatest(m.conditions_seq, excluded.conditions_seq),
       selected = m.selected OR excluded.selected,
       ended = CASE WHEN excluded.ended_seq > m.ended_seq THEN excluded.ended ELSE m.ended END,
       ended_seq = greatest(m.ended_seq, excluded.ended_seq),
       estimate_call_year = CASE WHEN excluded.estimate_seq > m.estimate_seq THEN excluded.estimate_call_year ELSE m.estimate_call_year END,
       estimate_days = CASE WHEN excluded.estimate_seq > m.estimate_seq THEN excluded.estimate_days ELSE m.estimate_days END,
       estimate_cents = CASE WHEN excluded.estimate_seq > m.estimate_seq THEN excluded.estimate_cents ELSE m.estimate_cents END,
       estimate_seq = greatest(m.estimate_seq, excluded.estimate_seq),
       final_call_year = CASE WHEN excluded.final_seq > m.final_seq THEN excluded.final_call_year ELSE m.final_call_year END,
       final_days = CASE WHEN excluded.final_seq > m.final_seq THEN excluded.final_days ELSE m.final_days END,
       final_cents = CASE WHEN excluded.final_seq > m.final_seq THEN excluded.final_cents ELSE m.final_cents END,
       final_seq = greatest(m.final_seq, excluded.final_seq),
       report_invited = m.report_invited OR excluded.report_invited,
       report_reminders = m.report_reminders + excluded.report_reminders,
       report_submitted_on = CASE WHEN excluded.report_submitted_on IS NULL THEN m.report_submitted_on ELSE least(coalesce(m.report_submitted_on, excluded.report_submitted_on), excluded.report_submitted_on) END,
       last_event_at = greatest(m.last_event_at, excluded.last_event_at)
     RETURNING m.mobility_id, m.estimate_seq, m.final_seq`,
    [
      col((d) => d.mobilityId), col((d) => d.projectId), col((d) => d.institutionId), col((d) => d.consortiumId),
      col((d) => d.app?.siteId ?? null), col((d) => d.app?.participantRef ?? null), col((d) => d.app?.sendingCountry ?? null), col((d) => d.app?.hostOrgId ?? null),
      col((d) => d.app?.distanceKm ?? null), col((d) => d.app?.longTerm ?? null), col((d) => d.app?.plannedStart ?? null), col((d) => d.app?.plannedEnd ?? null), col((d) => d.app?.plannedDays ?? null),
      col((d) => d.facts?.v.activity ?? null), col((d) => d.facts?.v.funderLineId ?? null), col((d) => d.facts?.v.receivingCountry ?? null),
      col((d) => d.facts?.v.fewerOpportunities ?? false), col((d) => d.facts?.v.greenTravel ?? false), col((d) => d.facts?.seq ?? -1),
      col((d) => d.departure?.v ?? null), col((d) => d.departure?.seq ?? -1), col((d) => d.extension?.v ?? null), col((d) => d.extension?.seq ?? -1),
      col((d) => d.certificate !== null), col((d) => d.certificate?.v.start ?? null), col((d) => d.certificate?.v.end ?? null),
      col((d) => d.certificate?.v.physicalDays ?? null), col((d) => d.certificate?.v.interruptedDays ?? null), col((d) => d.certificate?.seq ?? -1),
      col((d) => d.interruptedDays), col((d) => d.forceMajeure), col((d) => d.conditions?.v ?? false), col((d) => d.conditions?.seq ?? -1),
      col((d) => d.selected), col((d) => d.ended?.v ?? null), col((d) => d.ended?.seq ?? -1),
      col((d) => d.estimate?.seq ?? -1), col((d) => d.estimate?.g.callYear ?? null), col((d) => d.estimate?.g.days ?? null), col((d) => d.estimate?.g.totalCents ?? null),
      col((d) => d.final?.seq ?? -1), col((d) => d.final?.g.callYear ?? null), col((d) => d.final?.g.days ?? null), col((d) => d.final?.g.totalCents ?? null),
      col((d) => d.reportInvited), col((d) => d.reportReminders), col((d) => d.reportSubmittedOn), col((d) => d.lastEventAt),
    ],
  )).rows;
  // A phase's lines are replaced when the row now holds this batch's grant (sequences are unique per stream).
  const byId = new Map(ds.map((d) => [d.mobilityId, d]));
  const replaced: { mobilityId: string; phase: 'estimated' | 'final'; g: GrantBreakdown }[] = [];
  for (const r of won) {
    const d = byId.get(r.mobility_id)!;
    if (d.estimate && r.estimate_seq === d.estimate.seq) replaced.push({ mobilityId: d.mobilityId, phase: 'estimated', g: d.estimate.g });
    if (d.final && r.final_seq === d.final.seq) replaced.push({ mobilityId: d.mobilityId, phase: 'final', g: d.final.g });
  }
  if (replaced.length === 0) return;
  await tx.query(
    'DELETE FROM bm_grant_lines l USING unnest($1::text[], $2::text[]) AS w(mobility_id, phase) WHERE l.mobility_id = w.mobility_id AND l.phase = w.phase',
    [replaced.map((x) => x.mobilityId), replaced.map((x) => x.phase)],
  );
  const lines = replaced.flatMap((x) => x.g.lines.map((l, i) => ({ ...x, l, n: i + 1 })));
  if (lines.length === 0) return;
  await tx.query(
    'INSERT INTO bm_grant_lines (mobility_id, phase, line_no, rule_id, amount_cents) SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[])',
    [lines.map((x) => x.mobilityId), lines.map((x) => x.phase), lines.map((x) => x.n), lines.map((x) => x.l.ruleId), lines.map((x) => x.l.amountCents)],
  );
}

export const bmProjection: Projection = {
  name: 'bm',
  tables: ['bm_grant_lines', 'bm_mobilities'],
  apply: (tx, e) => fold(tx, [e]),
  applyBatch: fold,
};
