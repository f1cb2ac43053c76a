import fc from 'fast-check';
import { type ActivityCode, activityRule } from '../../../domain/activity';
import type { GrantBreakdown } from '../../../domain/grant/breakdown';
import {
  COMMAND_TYPES, type CommandType, type MobilityCommand, MobilityCommand as CommandSchema, type MobilityState, type Stage,
  dates, grantDue, netPaid,
} from '../../../domain/mobility';
import { MOB } from './fixtures';
import { DOCUMENT_KINDS, documentIdOf } from '../../../domain/documents';

/**
 * Random staff sessions. Each step either moves the mobility on (a command that makes sense in its
 * stage, with random and sometimes wrong figures), ends it early (reject, withdraw, cancel), or is any
 * command at all. The clock only moves forward and may
 * jump to the date a command needs (a departure waits for the start date).
 */
export interface Step { mode: 'progress' | 'exit' | 'random'; pick: number; hours: number; a: number; b: number; permille: number; small: number; flag: boolean }

export const stepArb: fc.Arbitrary<Step> = fc.record({
  mode: fc.integer({ min: 1, max: 100 }).map((n): Step['mode'] => (n <= 82 ? 'progress' : n <= 85 ? 'exit' : 'random')),
  pick: fc.nat(),
  hours: fc.integer({ min: 1, max: 24 * 20 }),
  a: fc.integer({ min: 0, max: 120 }),
  b: fc.integer({ min: 1, max: 400 }),
  permille: fc.integer({ min: 1, max: 1300 }),
  small: fc.integer({ min: 0, max: 5 }),
  flag: fc.boolean(),
});

export const sessionArb = fc.array(stepArb, { minLength: 1, maxLength: 60, size: 'max' });

const SUGGEST: Record<Stage, readonly CommandType[]> = {
  none: ['SubmitApplication'],
  applied: ['SelectParticipant', 'SelectParticipant', 'SelectParticipant', 'RejectApplication', 'RecordGrantConditions', 'AttachDocument'],
  'reserve-list': ['PromoteFromReserveList', 'PromoteFromReserveList', 'RejectApplication', 'RecordGrantConditions', 'AttachDocument'],
  rejected: COMMAND_TYPES,
  withdrawn: COMMAND_TYPES,
  selected: ['SignAgreement', 'SignAgreement', 'SignAgreement', 'RecordOlsAssessment', 'AttachDocument'],
  agreed: ['ConfirmDeparture', 'ConfirmDeparture', 'ConfirmDeparture', 'RecordPaymentOrdered', 'RecordPaymentOrdered', 'ChangeLearningAgreement', 'DeclareForceMajeure', 'RecordDeadlineMissed', 'AttachDocument'],
  departed: ['RecordCertificateOfAttendance', 'RecordCertificateOfAttendance', 'RecordInterruption', 'RequestExtension', 'ApproveExtension', 'RefuseExtension', 'DeclareForceMajeure', 'RecordPaymentOrdered', 'ChangeLearningAgreement', 'AttachDocument'],
  attended: ['InviteParticipantReport', 'InviteParticipantReport', 'RecordParticipantReportSubmitted', 'RemindParticipantReport', 'RecordParticipantReportSubmitted', 'RecordTranscriptOfRecords', 'RecordPaymentOrdered', 'RecordOlsAssessment', 'RecordDeadlineMissed', 'DeclareForceMajeure', 'AttachDocument'],
  reported: ['RecordRecognition', 'RecordRecognition', 'RecordTranscriptOfRecords', 'RecordPaymentOrdered', 'RecordDeadlineMissed', 'RecordOlsAssessment', 'AttachDocument'],
  recognised: ['RecordPaymentOrdered', 'RecordOlsAssessment', 'RecordDeadlineMissed', 'AttachDocument'],
  cancelled: ['RecordPaymentOrdered'],
};
const EXITS: readonly CommandType[] = ['RejectApplication', 'WithdrawApplication', 'CancelMobility'];

const ACTIVITIES: readonly ActivityCode[] = ['HE-SMS', 'HE-SMP', 'HE-STA', 'VET-LEARN-ST', 'SCH-PUPIL-LT', 'ADU-STAFF-JS'];
const pickOf = <T>(xs: readonly T[], n: number): T => xs[n % xs.length]!;

const grant = (totalCents: number, days: number): GrantBreakdown => {
  const travel = Math.floor(totalCents / 10);
  return {
    totalCents, currency: 'EUR', callYear: 2024, days,
    lines: [
      { ruleId: 'IND', item: 'individual support', amountCents: totalCents - travel, basis: 'generated' },
      { ruleId: 'TRAVEL', item: 'travel', amountCents: travel, basis: 'generated' },
    ],
  };
};

const T0 = Date.parse('2025-03-01T09:00:00Z');
const msOf = (isoDate: string) => Date.parse(`${isoDate}T09:00:00Z`);

/** A session replays steps against a running state; it owns the clock. */
export class Session {
  private clock = T0;
  private n = 0;

  next(step: Step, state: MobilityState): MobilityCommand {
    this.clock += step.hours * 3_600_000;
    const type = pickOf(step.mode === 'progress' ? SUGGEST[state.stage] : step.mode === 'exit' ? EXITS : COMMAND_TYPES, step.pick);
    const { fields, notBefore } = this.fields(type, step, state);
    if (notBefore) this.clock = Math.max(this.clock, msOf(notBefore));
    this.n += 1;
    return CommandSchema.parse({ type, mobilityId: MOB, actor: 'staff-7', at: new Date(this.clock).toISOString(), ...fields });
  }

  private today(): string { return new Date(this.clock).toISOString().slice(0, 10); }

  private fields(type: CommandType, st: Step, s: MobilityState): { fields: Record<string, unknown>; notBefore?: string } {
    const today = this.today();
    const open = s.stage === 'none' ? null : s;
    const plan = open?.plan;
    const departure = open && 'departure' in open ? open.departure.actualStartDate : null;
    const attendanceEnd = open && 'attendance' in open ? open.attendance.actualEndDate : null;
    switch (type) {
      case 'SubmitApplication': {
        const startDate = dates.addDays(today, st.a);
        const activity = pickOf(ACTIVITIES, st.small);
        const { longTerm, shortTerm } = activityRule(activity).limits;
        const limit = (longTerm ?? shortTerm)!;
        // mostly inside the activity's limits, sometimes 10 days either side
        const length = Math.max(1, limit.minDays - 10 + (st.b % (limit.maxDays - limit.minDays + 21)));
        return {
          fields: {
            projectId: '2024-1-FR01-KA131-HED-000123', institutionId: 'F-PARIS001', consortiumId: st.flag ? 'CONSORTIUM-1' : null,
            participantRef: 'P-abcdef12', activity, funderLineId: 'EU-KA131-2024',
            plan: {
              startDate, endDate: dates.addDays(startDate, length - 1), receivingCountry: 'DE', sendingCountry: 'FR', hostOrgId: 'D-BERLIN01',
              greenTravel: st.small % 2 === 0, fewerOpportunities: st.flag, ...(st.flag && st.small > 2 ? { fewerOpportunitiesCriterion: 'FO-04' } : {}),
            },
          },
        };
      }
      case 'SelectParticipant': case 'PromoteFromReserveList':
        return { fields: { estimatedGrant: grant(st.permille * 300, st.b) } };
      case 'RejectApplication':
        return { fields: { reasonCode: 'selection-ranking', ...(st.flag ? { reserveListRank: st.small + 1 } : {}) } };
      case 'WithdrawApplication': return { fields: { reasonCode: 'personal' } };
      case 'CancelMobility': return { fields: { reasonCode: 'institution-decision' } };
      case 'SignAgreement':
        return { fields: { participantSignedOn: dates.addDays(today, -st.small), institutionSignedOn: today, prefinancingPercent: st.pick % 11 === 0 ? 65 : 70 + st.small * 6 } };
      case 'ConfirmDeparture': {
        const start = plan ? dates.addDays(plan.startDate, st.small - 1) : today;
        return { fields: { actualStartDate: start }, notBefore: st.small < 5 ? start : undefined };
      }
      case 'RecordInterruption': {
        const from = dates.addDays(departure ?? today, st.a % 60);
        return { fields: { from, to: dates.addDays(from, st.small), reasonCode: 'academic-break' } };
      }
      case 'DeclareForceMajeure': return { fields: { reasonCode: 'travel-disruption' } };
      case 'RequestExtension':
        return { fields: { newEndDate: dates.addDays(plan?.endDate ?? today, 1 + st.small * 15) } };
      case 'ApproveExtension': {
        const est = open && 'selection' in open && open.selection ? open.selection.estimatedGrant.totalCents : 0;
        return { fields: { revisedGrant: grant(Math.max(0, est + (st.permille - 300) * 50), st.b) } };
      }
      case 'RefuseExtension': return { fields: { reasonCode: 'host-declined' } };
      case 'ChangeLearningAgreement': return { fields: { reasonCode: pickOf(['not-available', 'extending-mobility', 'adding-virtual-component'], st.small) } };
      case 'RecordCertificateOfAttendance': {
        const start = departure ?? today;
        const end = plan ? dates.addDays(plan.endDate, st.flag ? 0 : -st.small * 3) : today;
        return { fields: { actualStartDate: start, actualEndDate: end, finalGrant: grant(st.permille * 300, st.b) }, notBefore: st.small < 5 ? dates.addDays(end, 1) : undefined };
      }
      case 'InviteParticipantReport': return { fields: {}, notBefore: attendanceEnd ? dates.addDays(attendanceEnd, 1) : undefined };
      case 'RemindParticipantReport': return { fields: {} };
      case 'RecordParticipantReportSubmitted': return { fields: { submittedOn: today } };
      case 'RecordOlsAssessment': return { fields: { phase: (open && 'attendance' in open) !== st.flag ? 'after' : 'before', language: 'de', level: pickOf(['A2', 'B1', 'B2'], st.small) } };
      case 'RecordTranscriptOfRecords': return { fields: { receivedOn: today, ects: st.small * 6 } };
      case 'RecordRecognition': {
        const tor = open?.transcript?.ects;
        const recognised = tor === undefined ? undefined : Math.max(0, tor - (st.flag ? 0 : st.small));
        return { fields: { outcome: st.flag ? 'full' : 'partial', ...(recognised === undefined ? {} : { recognisedEcts: recognised }), europass: st.flag } };
      }
      case 'RecordPaymentOrdered': {
        const kind = pickOf(['prefinancing', 'balance', 'recovery'] as const, st.small);
        const paid = open ? netPaid(open.payments) : 0;
        const due = open ? grantDue(open) ?? 0 : 0;
        const base = kind === 'prefinancing' ? (open && 'agreement' in open && open.agreement ? open.agreement.prefinancingCents : 1000)
          : kind === 'balance' ? due - paid : paid - due;
        const amountCents = Math.max(1, Math.round((base * st.permille) / 1000));
        return { fields: { kind, amountCents, paymentId: st.pick % 9 === 0 ? 'PAY-0' : `PAY-${this.n}` } };
      }
      case 'RecordDeadlineSchedule': return { fields: {} };
      case 'RecordGrantConditions': return { fields: { travelSupport: st.flag ? null : st.small % 2 === 0, inclusionSupportCents: st.flag ? 0 : st.small * 10_000, exceptionalTravelCostCents: null, zeroGrant: st.pick % 13 === 0 } };
      case 'AttachDocument': {
        const kind = pickOf(DOCUMENT_KINDS, st.pick);
        const sha256 = (st.pick % 7).toString(16).repeat(64);
        return { fields: { documentId: documentIdOf(kind, sha256), kind, sha256, byteSize: 1 + st.b * 1000, mediaType: 'application/pdf' } };
      }
      case 'RecordDeadlineMissed':
        return { fields: { deadline: pickOf(['prefinancing', 'participant-report', 'transcript', 'recognition', 'balance'], st.small) } };
      case 'TakeOverMobility':
        return { fields: { stage: 'selected', selectedOn: today, agreement: null, departedOn: null, attendance: null, payments: [], source: 'generated', estimatedGrant: grant(st.permille * 300, st.b), finalGrant: null } };
      default: {
        const never: never = type;
        throw new Error(`no generator for ${String(never)}`);
      }
    }
  }
}
