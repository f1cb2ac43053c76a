import { z } from 'zod';
import { CountryCode, HostOrgId, IsoDate, OrgId, ParticipantRef } from '../ids';
import { SiteId, StaffRef } from '../mobility/codes';
import { IncomingKind } from './kinds';

/**
 * An incoming mobility's id, given by the server per receiving institution: `IN-<institution>-MOB-00001`
 * (it is also a well-formed mobility id, so the reminder outbox keys it the same way).
 */
export const IncomingId = z.string().regex(/^IN-[A-Za-z0-9][A-Za-z0-9-]{1,50}-MOB-\d{5}$/, 'incoming id: IN-<institution>-MOB-00001');
export type IncomingId = z.infer<typeof IncomingId>;
/** The id of the n-th incoming mobility of an institution (its id's letters and digits, other characters as dashes). */
export const incomingIdFor = (institutionId: string, n: number): string =>
  `IN-${institutionId.replace(/[^A-Za-z0-9]/g, '-').replace(/-+$/, '').toUpperCase()}-MOB-${String(n).padStart(5, '0')}`;

/** Why an incoming mobility ends before arrival (codes only: never a personal explanation). */
export const IncomingCancellationReason = z.enum(['nomination-rejected', 'withdrawn-by-sender', 'participant-withdrew', 'visa-refused', 'force-majeure', 'other']);
export type IncomingCancellationReason = z.infer<typeof IncomingCancellationReason>;

export const IncomingDeadline = z.enum(['certificate-of-attendance', 'transcript-of-records']);
export type IncomingDeadline = z.infer<typeof IncomingDeadline>;

/** ECTS credits of a learning agreement or a transcript (60 a year: at most 90 for a 12-month stay with a summer term). */
export const IncomingEcts = z.number().multipleOf(0.5).min(0).max(90);

const Base = { incomingId: IncomingId, at: z.iso.datetime({ offset: true }), actor: StaffRef };
const command = <T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) => z.strictObject({ type: z.literal(type), ...Base, ...shape });

/** The partner's nomination, received by the institution's international office (EWP incoming nomination). */
export const RecordNomination = command('RecordNomination', {
  institutionId: OrgId,
  siteId: SiteId.nullable(),
  participantRef: ParticipantRef,
  kind: IncomingKind,
  sendingOrgId: HostOrgId,
  sendingCountry: CountryCode,
  startDate: IsoDate,
  endDate: IsoDate,
});
/** The receiver signs the learning agreement (students: Table A credits) or the staff mobility agreement. */
export const SignAgreementAsReceiver = command('SignAgreementAsReceiver', { signedOn: IsoDate, ectsPlanned: IncomingEcts.nullable() });
export const ConfirmArrival = command('ConfirmArrival', { arrivedOn: IsoDate });
/** The first and last day present, as the certificate states them. */
export const IssueCertificateOfAttendance = command('IssueCertificateOfAttendance', { actualStartDate: IsoDate, actualEndDate: IsoDate, issuedOn: IsoDate });
export const IssueTranscriptOfRecords = command('IssueTranscriptOfRecords', { issuedOn: IsoDate, ects: IncomingEcts });
export const CancelIncoming = command('CancelIncoming', { reasonCode: IncomingCancellationReason });
export const RecordNoShow = command('RecordNoShow', {});
/** Sent by the workflow when a due date passes unmet. */
export const RecordIncomingDeadlineMissed = command('RecordIncomingDeadlineMissed', { deadline: IncomingDeadline });

export const IncomingCommand = z.discriminatedUnion('type', [
  RecordNomination, SignAgreementAsReceiver, ConfirmArrival, IssueCertificateOfAttendance, IssueTranscriptOfRecords, CancelIncoming, RecordNoShow,
  RecordIncomingDeadlineMissed,
]);
export type IncomingCommand = z.infer<typeof IncomingCommand>;
export type IncomingCommandType = IncomingCommand['type'];
export type IncomingCommandOf<T extends IncomingCommandType> = Extract<IncomingCommand, { type: T }>;

/**
 * Input that starts an incoming mobility's workflow (workflow id = incoming id): the nomination without type/at.
 * The participant is the registry's pseudonymous ref. Built here so the workflows of a sandbox share it.
 */
export const StartIncoming = RecordNomination.omit({ type: true, at: true });
export type StartIncoming = z.infer<typeof StartIncoming>;
