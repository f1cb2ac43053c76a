import { z } from 'zod';
import { eventIdFor } from '../envelope';
import { CountryCode, HostOrgId, IsoDate, OrgId, ParticipantRef } from '../ids';
import { SiteId, StaffRef } from '../mobility/codes';
import { IncomingCancellationReason, IncomingDeadline, IncomingEcts, IncomingId } from './commands';
import { IncomingKind } from './kinds';

/**
 * Events of one incoming mobility: past-tense facts, plain JSON, no optional fields, every payload
 * with who recorded it and when. GDPR: the participant is the registry's pseudonymous ref, the
 * sending organisation an Erasmus code / OID / PIC; no name, e-mail, birth date or health detail.
 * No money: an incoming mobility is paid by its sending institution, never from this institution's
 * grant agreement, so nothing here can reach a budget.
 */
const payload = <S extends z.core.$ZodLooseShape>(shape: S) => z.strictObject({ actor: StaffRef, at: z.iso.datetime({ offset: true }), ...shape });

export const IncomingNominatedV1 = payload({
  incomingId: IncomingId,
  institutionId: OrgId,
  siteId: SiteId.nullable(),
  participantRef: ParticipantRef,
  kind: IncomingKind,
  sendingOrgId: HostOrgId,
  sendingCountry: CountryCode,
  startDate: IsoDate,
  endDate: IsoDate,
  plannedDays: z.int().positive(),
  durationRuleId: z.string(),
  agreement: z.enum(['learning-agreement', 'mobility-agreement', 'none']),
  transcript: z.boolean(),
});
export const IncomingAgreementSignedV1 = payload({ agreement: z.enum(['learning-agreement', 'mobility-agreement']), signedOn: IsoDate, ectsPlanned: IncomingEcts.nullable() });
export const IncomingArrivedV1 = payload({ arrivedOn: IsoDate, plannedStartDate: IsoDate, daysShifted: z.int() });
export const IncomingAttendanceCertifiedV1 = payload({
  actualStartDate: IsoDate, actualEndDate: IsoDate, physicalDays: z.int().positive(), issuedOn: IsoDate, dueOn: IsoDate, daysLate: z.int().nonnegative(),
  transcriptDueOn: IsoDate.nullable(),
});
export const IncomingTranscriptIssuedV1 = payload({ issuedOn: IsoDate, ects: IncomingEcts, ectsPlanned: IncomingEcts.nullable(), dueOn: IsoDate, daysLate: z.int().nonnegative() });
export const IncomingCancelledV1 = payload({ reasonCode: IncomingCancellationReason, fromStage: z.enum(['nominated', 'agreed']) });
export const IncomingNoShowRecordedV1 = payload({ plannedStartDate: IsoDate, daysAfterStart: z.int().positive(), fromStage: z.enum(['nominated', 'agreed']) });
export const IncomingDeadlineMissedV1 = payload({ deadline: IncomingDeadline, dueOn: IsoDate, daysLate: z.int().positive() });

const event = <T extends string, P extends z.ZodType>(type: T, schema: P) => z.strictObject({ type: z.literal(type), version: z.literal(1), payload: schema });

export const IncomingNominated = event('IncomingNominated', IncomingNominatedV1);
export const IncomingAgreementSigned = event('IncomingAgreementSigned', IncomingAgreementSignedV1);
export const IncomingArrived = event('IncomingArrived', IncomingArrivedV1);
export const IncomingAttendanceCertified = event('IncomingAttendanceCertified', IncomingAttendanceCertifiedV1);
export const IncomingTranscriptIssued = event('IncomingTranscriptIssued', IncomingTranscriptIssuedV1);
export const IncomingCancelled = event('IncomingCancelled', IncomingCancelledV1);
export const IncomingNoShowRecorded = event('IncomingNoShowRecorded', IncomingNoShowRecordedV1);
export const IncomingDeadlineMissed = event('IncomingDeadlineMissed', IncomingDeadlineMissedV1);

const CURRENT = [
  IncomingNominated, IncomingAgreementSigned, IncomingArrived, IncomingAttendanceCertified, IncomingTranscriptIssued, IncomingCancelled,
  IncomingNoShowRecorded, IncomingDeadlineMissed,
] as const;

export const IncomingEvent = z.discriminatedUnion('type', CURRENT);
export type IncomingEvent = z.infer<typeof IncomingEvent>;
export type IncomingEventType = IncomingEvent['type'];
export type IncomingEventOf<T extends IncomingEventType> = Extract<IncomingEvent, { type: T }>;
export type IncomingPayloadOf<T extends IncomingEventType> = IncomingEventOf<T>['payload'];

export const incomingEvent = <T extends IncomingEventType>(type: T, payload: IncomingPayloadOf<T>): IncomingEventOf<T> => ({ type, version: 1, payload }) as IncomingEventOf<T>;

/** Every (type, version) of the incoming-events topic with its payload schema and meaning: the AsyncAPI source. */
export const INCOMING_EVENT_TYPES: readonly { type: IncomingEventType; version: number; schema: z.ZodType; meaning: string }[] = [
  { type: 'IncomingNominated', version: 1, schema: IncomingNominatedV1, meaning: 'A partner nominated a participant (registry ref) to the institution: kind, sending organisation, planned dates, the documents the receiver owes.' },
  { type: 'IncomingAgreementSigned', version: 1, schema: IncomingAgreementSignedV1, meaning: 'The institution signed the learning agreement (planned ECTS) or the staff mobility agreement as the receiving party.' },
  { type: 'IncomingArrived', version: 1, schema: IncomingArrivedV1, meaning: 'The participant arrived (actual first day, days shifted from the plan).' },
  { type: 'IncomingAttendanceCertified', version: 1, schema: IncomingAttendanceCertifiedV1, meaning: 'The institution issued the certificate of attendance (first and last day present), with the transcript due date for students.' },
  { type: 'IncomingTranscriptIssued', version: 1, schema: IncomingTranscriptIssuedV1, meaning: 'The institution issued the transcript of records (ECTS, days late against the 5-week due date).' },
  { type: 'IncomingCancelled', version: 1, schema: IncomingCancelledV1, meaning: 'The incoming mobility was cancelled before arrival (reason code).' },
  { type: 'IncomingNoShowRecorded', version: 1, schema: IncomingNoShowRecordedV1, meaning: 'The participant did not arrive: recorded after the planned start date.' },
  { type: 'IncomingDeadlineMissed', version: 1, schema: IncomingDeadlineMissedV1, meaning: 'A document the receiver owes (certificate of attendance, transcript of records) passed its due date unissued.' },
];

/**
 * The envelope of the incoming-events topic (key = incoming id): like a mobility's, without a project
 * (the stay is funded by the sender's grant agreement, not by one of the institution's projects).
 */
export const IncomingEnvelope = z.strictObject({
  eventId: z.string().min(1),
  type: z.string().min(1),
  version: z.int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  incomingId: IncomingId,
  institutionId: OrgId,
  siteId: SiteId.nullable(),
  sequence: z.int().nonnegative(),
  payload: z.record(z.string(), z.unknown()),
});
export type IncomingEnvelope = z.infer<typeof IncomingEnvelope>;

export const incomingEnvelope = (e: IncomingEvent, scope: { incomingId: string; institutionId: string; siteId: string | null }, sequence: number): IncomingEnvelope => ({
  eventId: eventIdFor(scope.incomingId, sequence), type: e.type, version: e.version, occurredAt: e.payload.at,
  incomingId: scope.incomingId, institutionId: scope.institutionId, siteId: scope.siteId, sequence, payload: e.payload as Record<string, unknown>,
});

/** Reads an envelope's event: its (type, version) must be known and its payload valid. */
export const parseIncomingEvent = (env: IncomingEnvelope): IncomingEvent | { kind: 'unknown-type' | 'invalid-payload'; detail: string } => {
  const r = IncomingEvent.safeParse({ type: env.type, version: env.version, payload: env.payload });
  if (r.success) return r.data;
  const known = INCOMING_EVENT_TYPES.some((t) => t.type === env.type && t.version === env.version);
  return { kind: known ? 'invalid-payload' : 'unknown-type', detail: r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
};
