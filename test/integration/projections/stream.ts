import { ProjectEvent, type ProjectEventEnvelope, projectEventIdFor, defaultRuleOf } from '../../../domain/budget/events';
import { type EventEnvelope, eventIdFor } from '../../../domain/envelope';
import type { GrantBreakdown, GrantLine } from '../../../domain/grant/breakdown';
import { mobilityIdFor } from '../../../domain/ids';
import { CURRENT_VERSION, type EventType, MobilityEvent, type PayloadOf } from '../../../domain/mobility/events';
import type { OutgoingMessage } from '../../../infra/kafka/client';
import { loadConfig } from '../../../infra/config';
import { loadSigningKeys, signatureHeaders, type SigningKeys } from '../../../infra/kafka/signing';

/**
 * A generated, valid event stream for the projection tests: every mobility event is parsed by the
 * domain's zod schemas (domain/mobility/events.ts) and every project event by domain/budget.
 * Deterministic for a seed. Also returns the figures the projections must show, computed here
 * independently of the SQL.
 */
export const rng = (seed: number) => {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!, chance: (p: number) => next() < p };
};
type Rng = ReturnType<typeof rng>;

const ACTOR = 'staff-0001';
const iso = (day: number) => new Date(Date.UTC(2025, 0, 1) + day * 86_400_000).toISOString();
const date = (day: number) => iso(day).slice(0, 10);

export interface MobilityPlan {
  projectId: string;
  institutionId: string;
  consortiumId: string | null;
  n: number;
  funderLineId: string;
  activity?: 'HE-SMS' | 'HE-SMP' | 'HE-BIP' | 'VET-LEARN-ST';
}

export type Outcome = 'rejected' | 'withdrawn' | 'cancelled' | 'selected' | 'agreed' | 'certified' | 'recognised';

export interface MobilityTruth {
  mobilityId: string;
  projectId: string;
  institutionId: string;
  consortiumId: string | null;
  funderLineId: string;
  outcome: Outcome;
  status: 'applied' | 'reserved' | 'contracted' | 'final' | 'released';
  /** The amount the mobility commits on its line now (0 when released). */
  committedCents: number;
  prefinancedCents: number;
  paidCents: number;
  recoveredCents: number;
  zeroGrant: boolean;
  fewerOpportunities: boolean;
  greenTravel: boolean;
  /** Inclusion support (real costs) in the mobility's current grant lines. */
  inclusionCents: number;
}

const inclusionOf = (b: GrantBreakdown) => b.lines.filter((l) => l.ruleId === 'GRANT-INCLUSION-REAL-COSTS').reduce((s, l) => s + l.amountCents, 0);

const breakdown = (r: Rng, days: number, fewer: boolean, zero: boolean): GrantBreakdown => {
  const lines: GrantLine[] = zero
    ? [{ ruleId: 'GRANT-ZERO-GRANT', item: 'Zero-grant mobility', amountCents: 0, basis: 'zero-grant mobility (test)' }]
    : [
        { ruleId: 'GRANT-HE-LT', item: 'Individual support (long-term)', amountCents: r.int(30_000, 90_000) * 3 + r.int(0, 99), basis: `${days} days (test)` },
        { ruleId: 'GRANT-TRAVEL-STD', item: 'Travel support', amountCents: r.pick([2_800, 21_100, 30_900, 39_500]), basis: 'band (test)' },
        ...(fewer ? [{ ruleId: 'GRANT-HE-LT-FEWER-OPP', item: 'Top-up for fewer opportunities', amountCents: r.int(5_000, 25_000), basis: 'per month (test)' }] : []),
        ...(fewer && r.chance(0.5) ? [{ ruleId: 'GRANT-INCLUSION-REAL-COSTS', item: 'Inclusion support for participants (real costs)', amountCents: r.int(10_000, 80_000), basis: 'real costs (test)' }] : []),
      ];
  return { totalCents: lines.reduce((s, l) => s + l.amountCents, 0), currency: 'EUR', callYear: 2024, days, lines };
};

/** Builds one mobility's events (sequence 0…n) along a random but valid path. */
export function mobilityStory(r: Rng, plan: MobilityPlan, outcome?: Outcome): { events: EventEnvelope[]; truth: MobilityTruth } {
  const mobilityId = mobilityIdFor(plan.projectId, plan.n);
  const activity = plan.activity ?? 'HE-SMS';
  const fewer = r.chance(0.3);
  const green = r.chance(0.4);
  const zero = r.chance(0.1);
  const out: Outcome = outcome ?? r.pick(['rejected', 'withdrawn', 'cancelled', 'selected', 'agreed', 'certified', 'certified', 'recognised', 'recognised']);
  const facts = { activity, funderLineId: plan.funderLineId, hostCountry: 'DE', fewerOpportunities: fewer, greenTravel: green };
  const events: EventEnvelope[] = [];
  let day = r.int(0, 30);
  const push = <T extends EventType>(type: T, payload: Omit<PayloadOf<T>, 'actor' | 'at'>) => {
    day += r.int(1, 9);
    const full = MobilityEvent.parse({ type, version: CURRENT_VERSION[type], payload: { actor: ACTOR, at: iso(day), ...payload } });
    const sequence = events.length;
    events.push({
      eventId: eventIdFor(mobilityId, sequence), type, version: CURRENT_VERSION[type], occurredAt: iso(day), mobilityId, projectId: plan.projectId,
      institutionId: plan.institutionId, consortiumId: plan.consortiumId, sequence, payload: full.payload as Record<string, unknown>,
    });
  };
  const truth: MobilityTruth = {
    mobilityId, projectId: plan.projectId, institutionId: plan.institutionId, consortiumId: plan.consortiumId, funderLineId: plan.funderLineId,
    outcome: out, status: 'applied', committedCents: 0, prefinancedCents: 0, paidCents: 0, recoveredCents: 0, zeroGrant: false, fewerOpportunities: fewer, greenTravel: green, inclusionCents: 0,
  };
  const days = r.int(60, 150);
  push('ApplicationSubmitted', {
    mobilityId, projectId: plan.projectId, institutionId: plan.institutionId, consortiumId: plan.consortiumId, siteId: null,
    participantRef: `P-${mobilityId.replace(/[^A-Za-z0-9]/g, '').slice(-20)}`, activity, funderLineId: plan.funderLineId,
    plan: { startDate: date(60), endDate: date(60 + days), receivingCountry: 'DE', sendingCountry: 'FR', hostOrgId: 'E-BERLIN01', distanceKm: 1050,
      greenTravel: green, fewerOpportunities: fewer, recentGraduate: false, blended: false, doctoral: false, hybrid: false, longTerm: true,
      accompanyingPerson: false, courseDays: null, virtualComponent: null },
    plannedDays: days, durationRuleId: 'DUR-HE-STU-LT', groupId: null,
  });
  if (out === 'rejected') {
    push('ApplicationRejected', { reasonCode: 'selection-ranking', fromStage: 'applied' });
    truth.status = 'released';
    return { events, truth };
  }
  if (r.chance(0.2)) push('PlacedOnReserveList', { reasonCode: 'selection-ranking', rank: r.int(1, 9) });
  let estimate = breakdown(r, days, fewer, zero);
  push('ParticipantSelected', { facts, estimatedGrant: estimate, fromReserveList: false, funding: [] });
  truth.status = 'reserved';
  if (out === 'withdrawn') {
    push('ApplicationWithdrawn', { reasonCode: 'personal', fromStage: 'selected' });
    truth.status = 'released';
    return { events, truth };
  }
  if (out === 'selected') {
    truth.committedCents = estimate.totalCents;
    truth.zeroGrant = estimate.totalCents === 0;
    truth.inclusionCents = inclusionOf(estimate);
    return { events, truth };
  }
  const pct = r.pick([70, 80, 100]);
  const pre = Math.round((estimate.totalCents * pct) / 100);
  push('AgreementSigned', { participantSignedOn: date(day), institutionSignedOn: date(day), prefinancingPercent: pct, grantTotalCents: estimate.totalCents, prefinancingCents: pre, prefinancingDueOn: date(day + 30), learningAgreementVersion: 1 });
  truth.status = 'contracted';
  if (pre > 0) {
    push('PaymentOrdered', { facts, kind: 'prefinancing', paymentId: `PAY-${plan.n}-1`, amountCents: pre, paidTotalCents: pre, dueOn: date(day + 20), daysLate: r.chance(0.2) ? r.int(1, 5) : 0 });
    truth.prefinancedCents = pre;
    truth.paidCents = pre;
  }
  if (out === 'cancelled') {
    push('MobilityCancelled', { facts, reasonCode: 'participant-withdrew', fromStage: 'agreed', releasedCents: estimate.totalCents, toRecoverCents: pre });
    if (pre > 0) {
      push('RecoveryOrdered', { facts, paymentId: `REC-${plan.n}`, amountCents: pre, grantDueCents: 0, paidTotalCents: 0 });
      truth.recoveredCents = pre;
    }
    truth.status = 'released';
    return { events, truth };
  }
  if (r.chance(0.3)) push('OlsAssessmentRecorded', { phase: 'before', language: 'de', level: 'B1' });
  if (r.chance(0.2)) {
    estimate = breakdown(r, days + 30, fewer, zero);
    push('GrantRecalculated', { facts, cause: 'extension', previousTotalCents: truth.committedCents, estimatedGrant: estimate, deltaCents: 0, funding: [] });
  }
  if (out === 'agreed') {
    truth.committedCents = estimate.totalCents;
    truth.zeroGrant = estimate.totalCents === 0;
    truth.inclusionCents = inclusionOf(estimate);
    return { events, truth };
  }
  push('DepartureConfirmed', { plannedStartDate: date(60), actualStartDate: date(60), daysShifted: 0 });
  const fm = r.chance(0.1);
  if (r.chance(0.15)) push('MobilityInterrupted', { from: date(day), to: date(day + 5), days: 5, reasonCode: 'academic-break' });
  if (fm) push('ForceMajeureDeclared', { reasonCode: 'travel-disruption', stage: 'departed' });
  const final = r.chance(0.5) ? estimate : breakdown(r, days - 10, fewer, zero);
  push('AttendanceCertified', {
    facts, actualStartDate: date(60), actualEndDate: date(60 + days), physicalDays: days, interruptedDays: 0, minimumMet: true, forceMajeure: fm,
    finalGrant: final, estimatedTotalCents: estimate.totalCents, deltaCents: final.totalCents - estimate.totalCents, paidCents: pre, balanceDueCents: final.totalCents - pre, funding: [],
  });
  truth.status = 'final';
  truth.committedCents = final.totalCents;
  truth.zeroGrant = final.totalCents === 0;
  truth.inclusionCents = inclusionOf(final);
  push('ParticipantReportInvited', { invitedOn: date(day), dueOn: date(day + 30) });
  if (r.chance(0.3)) push('ParticipantReportReminded', { reminderNumber: 1 });
  if (r.chance(0.8)) {
    const late = r.chance(0.3) ? r.int(1, 20) : 0;
    if (late > 0) push('DeadlineMissed', { deadline: 'participant-report', dueOn: date(day), daysLate: late });
    push('ParticipantReportSubmitted', { submittedOn: date(day), dueOn: date(day), daysLate: late });
  }
  if (r.chance(0.5)) push('OlsAssessmentRecorded', { phase: 'after', language: 'de', level: 'B2' });
  if (final.totalCents > pre) {
    push('PaymentOrdered', { facts, kind: 'balance', paymentId: `PAY-${plan.n}-2`, amountCents: final.totalCents - pre, paidTotalCents: final.totalCents, dueOn: date(day + 45), daysLate: 0 });
    truth.paidCents += final.totalCents - pre;
  } else if (pre > final.totalCents) {
    push('RecoveryOrdered', { facts, paymentId: `REC-${plan.n}`, amountCents: pre - final.totalCents, grantDueCents: final.totalCents, paidTotalCents: final.totalCents });
    truth.recoveredCents = pre - final.totalCents;
  }
  if (out === 'recognised') {
    push('TranscriptReceived', { receivedOn: date(day), ects: 30, dueOn: date(day), daysLate: 0 });
    push('RecognitionRecorded', { outcome: r.chance(0.8) ? 'full' : 'partial', recognisedEcts: 30, transcriptEcts: 30, europass: true, openBadge: false, dueOn: date(day + 35), daysLate: 0, learningOutcomes: [] });
  }
  return { events, truth };
}

export interface ProjectSpec {
  projectId: string;
  institutionId: string;
  consortiumId: string | null;
  lines: { lineId: string; funder: string; allocatedCents: number; allocatedMobilities: number }[];
}

export const projectRegistered = (p: ProjectSpec): ProjectEventEnvelope => {
  const e = ProjectEvent.parse({ type: 'ProjectRegistered', version: 2, payload: { institutionId: p.institutionId, lines: p.lines.map((l) => ({ ...l, rule: defaultRuleOf(l) })) } });
  return { eventId: projectEventIdFor(p.projectId, 0), type: e.type, version: e.version, occurredAt: iso(0), projectId: p.projectId, institutionId: p.institutionId, consortiumId: p.consortiumId, sequence: 0, payload: e.payload };
};

export interface GeneratedStream {
  projects: ProjectSpec[];
  mobilityEvents: EventEnvelope[];
  projectEvents: ProjectEventEnvelope[];
  truths: MobilityTruth[];
}

/** A consortium project with member institutions, two funder lines, and `mobilities` mobilities. */
export function generateStream(seed: number, tag: string, mobilities = 20, projects = 1): GeneratedStream {
  const r = rng(seed);
  const out: GeneratedStream = { projects: [], mobilityEvents: [], projectEvents: [], truths: [] };
  for (let p = 0; p < projects; p++) {
    const projectId = `2024-1-FR01-KA131-HED-${tag}${p}`;
    const consortiumId = p % 2 === 0 ? `CONS-${tag}` : null;
    const spec: ProjectSpec = {
      projectId, institutionId: `F-COORD-${tag}`, consortiumId,
      lines: [
        { lineId: 'EPLUS', funder: 'Erasmus+ KA131', allocatedCents: 50_000_00 * mobilities, allocatedMobilities: mobilities },
        { lineId: 'REGION', funder: 'Regional grant', allocatedCents: 10_000_00 * mobilities, allocatedMobilities: Math.ceil(mobilities / 2) },
      ],
    };
    out.projects.push(spec);
    out.projectEvents.push(projectRegistered(spec));
    for (let n = 1; n <= mobilities; n++) {
      const institutionId = consortiumId ? r.pick([`F-COORD-${tag}`, `F-MEMBER1-${tag}`, `F-MEMBER2-${tag}`]) : spec.institutionId;
      const s = mobilityStory(r, { projectId, institutionId, consortiumId, n, funderLineId: r.chance(0.7) ? 'EPLUS' : 'REGION' });
      out.mobilityEvents.push(...s.events);
      out.truths.push(s.truth);
    }
  }
  return out;
}

let keys: SigningKeys | undefined;
/** The test stack's event-signing keys (created by the stack under its data directory), as the engine signs. */
export const engineKeys = (): SigningKeys => (keys ??= loadSigningKeys(loadConfig()));
/** A message as the engine's worker publishes it: signed with the engine's key. */
export const signed = (key: string, value: string, headers: Record<string, string>): OutgoingMessage => ({ key, value, headers: { ...headers, ...signatureHeaders(engineKeys(), key, value) } });

export const asMessage = (e: EventEnvelope): OutgoingMessage =>
  signed(e.mobilityId, JSON.stringify(e), { 'event-id': e.eventId, 'event-type': e.type, 'event-version': String(e.version) });
export const asProjectMessage = (e: ProjectEventEnvelope): OutgoingMessage =>
  signed(e.projectId, JSON.stringify(e), { 'event-id': e.eventId, 'event-type': e.type, 'event-version': String(e.version) });

/** Expected per project × line figures, summed from the generated truths. */
export function expectedLineTotals(s: GeneratedStream) {
  const key = (t: { projectId: string; funderLineId: string }) => `${t.projectId}|${t.funderLineId}`;
  const m = new Map<string, { committed: number; prefinanced: number; paid: number; recovered: number; used: number; zero: number; inclusion: number; reserved: number; contracted: number; final: number }>();
  for (const t of s.truths) {
    const k = key(t);
    const v = m.get(k) ?? { committed: 0, prefinanced: 0, paid: 0, recovered: 0, used: 0, zero: 0, inclusion: 0, reserved: 0, contracted: 0, final: 0 };
    const live = t.status === 'reserved' || t.status === 'contracted' || t.status === 'final';
    v.committed += live ? t.committedCents : 0;
    if (t.status === 'reserved') v.reserved += t.committedCents;
    if (t.status === 'contracted') v.contracted += t.committedCents;
    if (t.status === 'final') v.final += t.committedCents;
    v.prefinanced += t.prefinancedCents;
    v.paid += t.paidCents;
    v.recovered += t.recoveredCents;
    v.used += live ? 1 : 0;
    v.zero += live && t.zeroGrant ? 1 : 0;
    v.inclusion += t.inclusionCents;
    m.set(k, v);
  }
  return m;
}
