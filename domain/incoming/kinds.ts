import { z } from 'zod';
import { ACTIVITIES, type DurationLimit } from '../activity';

/**
 * Who an institution hosts, and the rules of each kind on the receiving side. The incoming side
 * pays nothing from the institution's own grant agreement: the grant is the sending institution's
 * (reference §2: the receiver signs the learning agreement, issues the certificate of attendance and,
 * for students, the transcript of records). What differs per kind is which documents the receiver
 * owes and how long the stay may be; durations are the activity catalogue's (domain/activity.ts: the
 * HE codes, and the KA121/KA122 codes of invited experts, hosted teachers and preparatory visits), so
 * no limit is written twice. Their funding (the hosting beneficiary's grant for invited experts and
 * hosted teachers) is the grant domain's (domain/grant); this domain keeps the receiving side's
 * lifecycle and facts, and carries no euro.
 *
 * - agreement: what the receiver signs before arrival: the student's learning agreement (Table A,
 *   reference §2 [S S17]), the staff mobility agreement, or nothing (invited experts and
 *   preparatory visits come on an invitation; the certificate is their only document).
 * - transcript: the receiver owes a transcript of records within 5 weeks of the end (students only,
 *   reference §2 "ToR from the receiver" [V S17]).
 */
export const IncomingKind = z.enum([
  'student-studies',
  'student-traineeship',
  'staff-teaching',
  'staff-training',
  'invited-expert',
  'hosted-teacher-in-training',
  'preparatory-visit',
]);
export type IncomingKind = z.infer<typeof IncomingKind>;

export type AgreementKind = 'learning-agreement' | 'mobility-agreement' | 'none';

export interface IncomingKindRule {
  readonly label: string;
  readonly participant: 'learner' | 'staff' | 'expert' | 'visitor';
  readonly agreement: AgreementKind;
  readonly transcript: boolean;
  /**
   * Every form the stay may take (an HE student's short- or long-term form); the stay must fit one.
   * `count`: actual days (end − start + 1), or the Beneficiary Module's 30-day months for long-term
   * HE students (reference §1.7).
   */
  readonly limits: readonly { readonly limit: DurationLimit; readonly count: 'actual' | 'bm' }[];
}

const actual = (limit: DurationLimit) => ({ limit, count: 'actual' as const });
const both = (code: 'HE-SMS' | 'HE-SMP') => [actual(ACTIVITIES[code].limits.shortTerm), { limit: ACTIVITIES[code].limits.longTerm, count: 'bm' as const }];

export const INCOMING_KINDS = {
  'student-studies': {
    label: 'Incoming student for studies (nominated by a partner institution)', participant: 'learner', agreement: 'learning-agreement', transcript: true, limits: both('HE-SMS'),
  },
  'student-traineeship': {
    label: 'Incoming trainee (student traineeship hosted by the institution)', participant: 'learner', agreement: 'learning-agreement', transcript: true, limits: both('HE-SMP'),
  },
  'staff-teaching': {
    label: 'Incoming staff member for teaching', participant: 'staff', agreement: 'mobility-agreement', transcript: false, limits: [actual(ACTIVITIES['HE-STA'].limits.shortTerm)],
  },
  'staff-training': {
    label: 'Incoming staff member for training (job shadowing included)', participant: 'staff', agreement: 'mobility-agreement', transcript: false, limits: [actual(ACTIVITIES['HE-STT'].limits.shortTerm)],
  },
  'invited-expert': {
    label: 'Invited expert (teaching or training at the institution)', participant: 'expert', agreement: 'none', transcript: false,
    limits: [actual(ACTIVITIES['VET-EXPERT-IN'].limits.shortTerm)],
  },
  'hosted-teacher-in-training': {
    label: 'Hosted teacher or educator in training (school, VET, adult education)', participant: 'learner', agreement: 'mobility-agreement', transcript: false,
    limits: [actual(ACTIVITIES['VET-HOSTED-TE'].limits.shortTerm)],
  },
  'preparatory-visit': {
    label: 'Preparatory visit of a partner organisation', participant: 'visitor', agreement: 'none', transcript: false,
    limits: [actual(ACTIVITIES['VET-PREP-VISIT'].limits.shortTerm)],
  },
} as const satisfies Record<IncomingKind, IncomingKindRule>;

export const kindRule = (kind: IncomingKind): IncomingKindRule => INCOMING_KINDS[kind];
