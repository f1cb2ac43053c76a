import { z } from 'zod';

/**
 * The catalogue of mobility activity types. Codes follow the Beneficiary Module where it has one
 * (HE-SMS, HE-SMP, HE-STA, HE-STT, HE-BIP); other sectors use the project's own codes.
 * Duration limits are the physical part (travel days excluded), reference §1.6.
 */
export const Sector = z.enum(['HE', 'VET', 'SCH', 'ADU']);
export type Sector = z.infer<typeof Sector>;

export interface ActivityRule {
  readonly code: string;
  readonly sector: Sector;
  readonly participant: 'learner' | 'staff';
  readonly label: string;
  /** Short-term variant limits (HE student codes have both a long- and a short-term form). */
  readonly limits: { readonly longTerm?: DurationLimit; readonly shortTerm?: DurationLimit };
  /**
   * People the beneficiary invites or hosts, and preparatory visits (KA121/KA122), each with its own rules
   * (domain/grant/README.md): an invited expert or a hosted teacher is paid at the staff rate of the
   * beneficiary's country (the receiving country); a preparatory visit is one unit cost per participant.
   */
  readonly funding?: 'invited-expert' | 'hosted' | 'preparatory-visit';
}

export interface DurationLimit {
  readonly minDays: number;
  readonly maxDays: number;
  /** Rule id naming the limit, e.g. "KA1-DUR-HE-LT". */
  readonly ruleId: string;
  /** Reference section and certainty tag. */
  readonly source: string;
}

const L = (minDays: number, maxDays: number, ruleId: string, source: string): DurationLimit => ({ minDays, maxDays, ruleId, source });

export const ACTIVITIES = {
  'HE-SMS': { code: 'HE-SMS', sector: 'HE', participant: 'learner', label: 'HE student mobility for studies',
    limits: { longTerm: L(60, 360, 'DUR-HE-STU-LT', '§1.6 [V S7]: 2–12 months, BM 30-day months'), shortTerm: L(5, 30, 'DUR-HE-STU-ST', '§1.6 [V S7]: short-term blended or doctoral, 5–30 days') } },
  'HE-SMP': { code: 'HE-SMP', sector: 'HE', participant: 'learner', label: 'HE student mobility for traineeships (recent graduates included)',
    limits: { longTerm: L(60, 360, 'DUR-HE-STU-LT', '§1.6 [V S7]: 2–12 months, BM 30-day months'), shortTerm: L(5, 30, 'DUR-HE-STU-ST', '§1.6 [V S7]: short-term blended or doctoral, 5–30 days') } },
  'HE-STA': { code: 'HE-STA', sector: 'HE', participant: 'staff', label: 'HE staff mobility for teaching',
    limits: { shortTerm: L(2, 60, 'DUR-HE-STAFF', '§1.6 [S S1]: 2 days – 2 months') } },
  'HE-STT': { code: 'HE-STT', sector: 'HE', participant: 'staff', label: 'HE staff mobility for training',
    limits: { shortTerm: L(2, 60, 'DUR-HE-STAFF', '§1.6 [S S1]: 2 days – 2 months') } },
  'HE-BIP': { code: 'HE-BIP', sector: 'HE', participant: 'learner', label: 'HE blended intensive programme (physical part)',
    limits: { shortTerm: L(5, 30, 'DUR-HE-BIP', '§1.6 [S]: 5–30 days physical') } },
  'VET-LEARN-ST': { code: 'VET-LEARN-ST', sector: 'VET', participant: 'learner', label: 'VET learner short-term mobility',
    limits: { shortTerm: L(10, 89, 'DUR-VET-LEARN-ST', '§1.6 [S]: 10–89 days') } },
  'VET-PRO': { code: 'VET-PRO', sector: 'VET', participant: 'learner', label: 'VET learner long-term mobility (ErasmusPro)',
    limits: { longTerm: L(90, 365, 'DUR-VET-PRO', '§1.6 [S]: 90–365 days') } },
  'VET-GROUP': { code: 'VET-GROUP', sector: 'VET', participant: 'learner', label: 'VET group mobility of learners',
    limits: { shortTerm: L(2, 30, 'DUR-VET-GROUP', '§1.6 [U]: 2–30 days') } },
  'VET-COMP': { code: 'VET-COMP', sector: 'VET', participant: 'learner', label: 'VET skills competition',
    limits: { shortTerm: L(1, 10, 'DUR-VET-COMP', '§1.6 [U]: 1–10 days') } },
  'VET-STAFF-JS': { code: 'VET-STAFF-JS', sector: 'VET', participant: 'staff', label: 'VET staff job shadowing',
    limits: { shortTerm: L(2, 60, 'DUR-STAFF-JS', '§1.6 [S]: 2–60 days') } },
  'VET-STAFF-TA': { code: 'VET-STAFF-TA', sector: 'VET', participant: 'staff', label: 'VET staff teaching or training assignment',
    limits: { shortTerm: L(2, 365, 'DUR-STAFF-TA', '§1.6 [S]: 2–365 days') } },
  'VET-STAFF-CO': { code: 'VET-STAFF-CO', sector: 'VET', participant: 'staff', label: 'VET staff course or training',
    limits: { shortTerm: L(2, 30, 'DUR-STAFF-CO', '§1.6 [U]: 2–30 days') } },
  'SCH-PUPIL-GRP': { code: 'SCH-PUPIL-GRP', sector: 'SCH', participant: 'learner', label: 'School pupils group mobility',
    limits: { shortTerm: L(2, 30, 'DUR-SCH-GRP', '§1.6 [U]: 2–30 days') } },
  'SCH-PUPIL-ST': { code: 'SCH-PUPIL-ST', sector: 'SCH', participant: 'learner', label: 'School pupil short-term individual mobility',
    limits: { shortTerm: L(10, 29, 'DUR-SCH-ST', '§1.6 [U]: 10–29 days') } },
  'SCH-PUPIL-LT': { code: 'SCH-PUPIL-LT', sector: 'SCH', participant: 'learner', label: 'School pupil long-term individual mobility',
    limits: { longTerm: L(30, 365, 'DUR-SCH-LT', '§1.6 [U]: 30–365 days') } },
  'SCH-STAFF-JS': { code: 'SCH-STAFF-JS', sector: 'SCH', participant: 'staff', label: 'School staff job shadowing',
    limits: { shortTerm: L(2, 60, 'DUR-STAFF-JS', '§1.6 [S]: 2–60 days') } },
  'SCH-STAFF-TA': { code: 'SCH-STAFF-TA', sector: 'SCH', participant: 'staff', label: 'School staff teaching assignment',
    limits: { shortTerm: L(2, 365, 'DUR-STAFF-TA', '§1.6 [S]: 2–365 days') } },
  'SCH-STAFF-CO': { code: 'SCH-STAFF-CO', sector: 'SCH', participant: 'staff', label: 'School staff course or training',
    limits: { shortTerm: L(2, 30, 'DUR-STAFF-CO', '§1.6 [U]: 2–30 days') } },
  'ADU-LEARN-GRP': { code: 'ADU-LEARN-GRP', sector: 'ADU', participant: 'learner', label: 'Adult learners group mobility',
    limits: { shortTerm: L(2, 30, 'DUR-ADU-GRP', '§1.6 [U]: as school group, 2–30 days') } },
  'ADU-LEARN-IND': { code: 'ADU-LEARN-IND', sector: 'ADU', participant: 'learner', label: 'Adult learner individual mobility',
    limits: { shortTerm: L(10, 30, 'DUR-ADU-IND', '§1.6 [U]: chosen 10–30 days, overridable per project') } },
  'ADU-STAFF-JS': { code: 'ADU-STAFF-JS', sector: 'ADU', participant: 'staff', label: 'Adult-education staff job shadowing',
    limits: { shortTerm: L(2, 60, 'DUR-STAFF-JS', '§1.6 [S]: 2–60 days') } },
  'ADU-STAFF-TA': { code: 'ADU-STAFF-TA', sector: 'ADU', participant: 'staff', label: 'Adult-education staff teaching assignment',
    limits: { shortTerm: L(2, 365, 'DUR-STAFF-TA', '§1.6 [S]: 2–365 days') } },
  'ADU-STAFF-CO': { code: 'ADU-STAFF-CO', sector: 'ADU', participant: 'staff', label: 'Adult-education staff course or training',
    limits: { shortTerm: L(2, 30, 'DUR-STAFF-CO', '§1.6 [U]: 2–30 days') } },
  // Invited and hosted people, preparatory visits (issue 14 item 3). The reference has no figures for them:
  // every limit here is [U], PG 2021 as remembered, and documented in domain/grant/README.md.
  'VET-EXPERT-IN': { code: 'VET-EXPERT-IN', sector: 'VET', participant: 'staff', label: 'Invited expert (VET), hosted by the beneficiary', funding: 'invited-expert',
    limits: { shortTerm: L(2, 60, 'DUR-EXPERT-IN', '[U] PG 2021 as remembered: 2–60 days') } },
  'SCH-EXPERT-IN': { code: 'SCH-EXPERT-IN', sector: 'SCH', participant: 'staff', label: 'Invited expert (school), hosted by the beneficiary', funding: 'invited-expert',
    limits: { shortTerm: L(2, 60, 'DUR-EXPERT-IN', '[U] PG 2021 as remembered: 2–60 days') } },
  'ADU-EXPERT-IN': { code: 'ADU-EXPERT-IN', sector: 'ADU', participant: 'staff', label: 'Invited expert (adult education), hosted by the beneficiary', funding: 'invited-expert',
    limits: { shortTerm: L(2, 60, 'DUR-EXPERT-IN', '[U] PG 2021 as remembered: 2–60 days') } },
  'VET-HOSTED-TE': { code: 'VET-HOSTED-TE', sector: 'VET', participant: 'staff', label: 'Hosted teacher or educator in training (VET)', funding: 'hosted',
    limits: { shortTerm: L(10, 365, 'DUR-HOSTED-TE', '[U] PG 2021 as remembered: 10–365 days') } },
  'SCH-HOSTED-TE': { code: 'SCH-HOSTED-TE', sector: 'SCH', participant: 'staff', label: 'Hosted teacher or educator in training (school)', funding: 'hosted',
    limits: { shortTerm: L(10, 365, 'DUR-HOSTED-TE', '[U] PG 2021 as remembered: 10–365 days') } },
  'ADU-HOSTED-TE': { code: 'ADU-HOSTED-TE', sector: 'ADU', participant: 'staff', label: 'Hosted teacher or educator in training (adult education)', funding: 'hosted',
    limits: { shortTerm: L(10, 365, 'DUR-HOSTED-TE', '[U] PG 2021 as remembered: 10–365 days') } },
  'VET-PREP-VISIT': { code: 'VET-PREP-VISIT', sector: 'VET', participant: 'staff', label: 'Preparatory visit (VET)', funding: 'preparatory-visit',
    limits: { shortTerm: L(1, 30, 'DUR-PREP-VISIT', '[U] no limit found: chosen 1–30 days') } },
  'SCH-PREP-VISIT': { code: 'SCH-PREP-VISIT', sector: 'SCH', participant: 'staff', label: 'Preparatory visit (school)', funding: 'preparatory-visit',
    limits: { shortTerm: L(1, 30, 'DUR-PREP-VISIT', '[U] no limit found: chosen 1–30 days') } },
  'ADU-PREP-VISIT': { code: 'ADU-PREP-VISIT', sector: 'ADU', participant: 'staff', label: 'Preparatory visit (adult education)', funding: 'preparatory-visit',
    limits: { shortTerm: L(1, 30, 'DUR-PREP-VISIT', '[U] no limit found: chosen 1–30 days') } },
} as const satisfies Record<string, ActivityRule>;

export type ActivityCode = keyof typeof ACTIVITIES;
export const ActivityCode = z.enum(Object.keys(ACTIVITIES) as [ActivityCode, ...ActivityCode[]]);

export const activityRule = (code: ActivityCode): ActivityRule => ACTIVITIES[code];

/** The sector's staff activities (whose NA rate also pays accompanying persons, §1.8), in order of preference. */
export const staffActivitiesOf = (sector: Sector): ActivityCode[] =>
  (Object.values(ACTIVITIES) as readonly ActivityRule[]).filter((r) => r.sector === sector && r.participant === 'staff' && r.funding === undefined).map((r) => r.code as ActivityCode);
