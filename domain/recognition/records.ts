import { z } from 'zod';
import { ACTIVITIES, type ActivityCode } from '../activity';
import { CERTIFIED_STAGES } from '../mobility/lifecycle';
import { inStage, type OpenMobility } from '../mobility/state';

/**
 * Recognition records (reference §2 "Europass Mobility"; users-and-processes.md, seed 003: Europass,
 * a career record for staff after mobility, two families of open badges, learners and professionals).
 *
 * Pure mappings from a mobility's state (what its events established) to the content of each record.
 * Personal data never passes through here except the holder's name handed in at request time for the
 * Europass document; the open badge identifies its subject by a salted hash computed by the caller.
 */
export const RecordKind = z.enum(['europass', 'open-badge', 'career-record']);
export type RecordKind = z.infer<typeof RecordKind>;

export type Availability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What a record says about one mobility: facts of its events, no personal data. */
export interface MobilitySummary {
  readonly mobilityId: string;
  readonly projectId: string;
  readonly institutionId: string;
  readonly participantRef: string;
  readonly activity: ActivityCode;
  readonly activityLabel: string;
  readonly family: 'learner' | 'staff';
  readonly hostOrgId: string;
  readonly sendingCountry: string;
  readonly receivingCountry: string;
  readonly startDate: string;
  readonly endDate: string;
  /** Days abroad: certified physical days once the host certified attendance, else the planned days. */
  readonly days: number;
  /** Whether the dates are the host's certified ones (else planned). */
  readonly certified: boolean;
  readonly stage: OpenMobility['stage'];
  readonly recognition: { readonly outcome: 'full' | 'partial'; readonly recognisedEcts: number | null; readonly europass: boolean; readonly openBadge: boolean; readonly learningOutcomes: readonly string[]; readonly recordedAt: string } | null;
  readonly languages: readonly { readonly phase: 'before' | 'after'; readonly language: string; readonly level: string }[];
}

export const summaryOf = (s: OpenMobility): MobilitySummary => {
  const rule = ACTIVITIES[s.identity.activity];
  const certified = inStage(s, CERTIFIED_STAGES);
  return {
    mobilityId: s.identity.mobilityId,
    projectId: s.identity.projectId,
    institutionId: s.identity.institutionId,
    participantRef: s.identity.participantRef,
    activity: s.identity.activity,
    // An accompanying person of a learners' group (§1.8) is a member of staff: a staff record, not a learner's.
    activityLabel: s.plan.accompanyingPerson ? `${rule.label}, as an accompanying person` : rule.label,
    family: s.plan.accompanyingPerson ? 'staff' : rule.participant,
    hostOrgId: s.plan.hostOrgId,
    sendingCountry: s.plan.sendingCountry,
    receivingCountry: s.plan.receivingCountry,
    startDate: certified ? s.attendance.actualStartDate : s.plan.startDate,
    endDate: certified ? s.attendance.actualEndDate : s.plan.endDate,
    days: certified ? s.attendance.physicalDays : s.plannedDays,
    certified,
    stage: s.stage,
    // A mobility recognised before outcomes were recorded (v1) has none.
    recognition: s.stage === 'recognised' ? { ...s.recognition, learningOutcomes: s.recognition.learningOutcomes ?? [] } : null,
    languages: (['before', 'after'] as const).flatMap((phase) => {
      const r = s.ols[phase];
      return r ? [{ phase, language: r.language, level: r.level }] : [];
    }),
  };
};

/** Whether the record can be produced for this mobility now, or the reason why not (the API's 409). */
export const availability = (kind: RecordKind, s: MobilitySummary): Availability => {
  switch (kind) {
    case 'europass':
    case 'open-badge': {
      const what = kind === 'europass' ? 'a Europass Mobility record' : 'an open badge';
      if (!s.recognition) return { ok: false, reason: `no ${what} yet: recognition has not been recorded (the mobility is at stage '${s.stage}')` };
      const asked = kind === 'europass' ? s.recognition.europass : s.recognition.openBadge;
      if (!asked) return { ok: false, reason: `no ${what}: the recognition recorded on ${s.recognition.recordedAt.slice(0, 10)} did not ask for one (${kind === 'europass' ? 'europass' : 'openBadge'}: false)` };
      return { ok: true };
    }
    case 'career-record':
      if (s.family !== 'staff') return { ok: false, reason: `a career record is for staff mobilities: ${s.activity} is a learner mobility` };
      if (!s.certified) return { ok: false, reason: `a career record follows the mobility: the host's certificate of attendance is not recorded yet (stage '${s.stage}')` };
      return { ok: true };
    default: {
      const never: never = kind;
      throw new Error(`unknown record ${String(never)}`);
    }
  }
};

const OUTCOME = { full: 'recognised in full', partial: 'recognised in part' } as const;

/** The outcome in words: the recognition, or where the mobility stands. */
export const outcomeText = (s: MobilitySummary): string => {
  if (s.recognition) return `${OUTCOME[s.recognition.outcome]}${s.recognition.recognisedEcts !== null ? ` (${s.recognition.recognisedEcts} ECTS)` : ''}`;
  return s.certified ? `attendance certified (stage ${s.stage})` : `stage ${s.stage}`;
};

/** What the records list as skills and learning outcomes recorded by the engine: the recognition and the OLS language levels. */
export const skillsOf = (s: MobilitySummary): string[] => {
  const out: string[] = [...(s.recognition?.learningOutcomes ?? [])];
  if (s.recognition) out.push(`Learning outcomes ${OUTCOME[s.recognition.outcome]} by the sending institution${s.recognition.recognisedEcts !== null ? `: ${s.recognition.recognisedEcts} ECTS credits` : ''}`);
  const langs = [...new Set(s.languages.map((l) => l.language))];
  for (const lang of langs) {
    const before = s.languages.find((l) => l.language === lang && l.phase === 'before');
    const after = s.languages.find((l) => l.language === lang && l.phase === 'after');
    out.push(`Language (${lang}), CEFR level assessed by OLS: ${[before ? `${before.level} before` : null, after ? `${after.level} after` : null].filter(Boolean).join(', ')}`);
  }
  return out;
};

/** A document as titled sections of label–value lines (the PDF renderer draws it, nothing more). */
export interface RecordDocument {
  readonly title: string;
  readonly subtitle: string;
  readonly sections: readonly { readonly heading: string; readonly lines: readonly (readonly [string, string])[]; readonly table?: { readonly columns: readonly string[]; readonly rows: readonly (readonly string[])[] } }[];
  readonly footer: string;
}

/** The holder as the registry has them at request time (date of birth and nationality: optional fields of the official document). */
export interface Holder { readonly givenName: string; readonly familyName: string; readonly dateOfBirth?: string | null; readonly nationality?: string | null }
export interface Issuer { readonly institutionId: string; readonly institutionName: string }

/** The Europass Mobility number of a mobility's record: one per mobility, the same every time it is produced. */
export const europassNumber = (mobilityId: string): string => `EM-${mobilityId}`;

/** The objective of the mobility experience, from what the activity is (learning or professional development). */
export const objectiveOf = (s: Pick<MobilitySummary, 'family' | 'activityLabel'>): string =>
  s.family === 'learner'
    ? `A period of learning abroad (${s.activityLabel}) forming part of the holder's education or training at the sending organisation`
    : `Professional development abroad (${s.activityLabel}) as a member of the sending organisation's staff`;

/**
 * The Europass Mobility record of one mobility, in the sections of the official Europass Mobility document
 * (Decision 2241/2004/EC, Annex IV: 1 holder, 2 document number and issue, 3 sending and host partners,
 * 4 description of the mobility experience, 5a skills and competences acquired, 5b courses and credits), filled
 * with what the engine knows: the registry's holder at request time (never stored with the record), the mobility's
 * recorded events. What the engine does not hold (the partners' reference persons and signatures, a qualification
 * the training leads to) is left out rather than invented.
 */
export const europassDocument = (s: MobilitySummary, holder: Holder, issuer: Issuer, issuedOn: string): RecordDocument => {
  const days = `${s.days} day${s.days === 1 ? '' : 's'}${s.certified ? ' (certified by the host)' : ' (planned)'}`;
  const credits: (readonly [string, string])[] = s.recognition
    ? [['Recognition', `${outcomeText(s)} by the sending organisation on ${s.recognition.recordedAt.slice(0, 10)}`],
      ...(s.recognition.recognisedEcts !== null ? [['ECTS credits recognised', `${s.recognition.recognisedEcts} ECTS`] as const] : [])]
    : [];
  return {
    title: 'Europass Mobility',
    subtitle: `Europass Mobility number ${europassNumber(s.mobilityId)} — a learning period abroad of ${holder.givenName} ${holder.familyName}`,
    sections: [
      {
        heading: '1. The holder of the Europass Mobility',
        lines: [
          ['Surname(s)', holder.familyName], ['First name(s)', holder.givenName],
          ...(holder.dateOfBirth ? [['Date of birth', holder.dateOfBirth] as const] : []),
          ...(holder.nationality ? [['Nationality', holder.nationality] as const] : []),
          ['Participant reference', s.participantRef],
        ],
      },
      {
        heading: '2. The Europass Mobility document',
        lines: [['Europass Mobility number', europassNumber(s.mobilityId)], ['Date of issue', issuedOn], ['Issued by', `${issuer.institutionName} (${issuer.institutionId}), the sending partner`]],
      },
      {
        heading: '3. The partner organisations',
        lines: [
          ['Sending partner', `${issuer.institutionName} (${issuer.institutionId})`], ['Country', s.sendingCountry], ['Grant agreement', s.projectId],
          ['Host partner', s.hostOrgId], ['Country', s.receivingCountry],
        ],
      },
      {
        heading: '4. Description of the Europass Mobility experience',
        lines: [
          ['Objective', objectiveOf(s)],
          ['Initiative', `Erasmus+ project ${s.projectId}: ${s.activityLabel} (${s.activity}), mobility ${s.mobilityId}`],
          ['Programme', 'Erasmus+ Key Action 1 (learning mobility of individuals)'],
          ['From', s.startDate], ['To', s.endDate], ['Duration', days],
        ],
      },
      { heading: '5a. Skills and competences acquired', lines: skillsOf(s).map((line, i) => [`${i + 1}.`, line] as const) },
      ...(credits.length > 0 ? [{ heading: '5b. Record of courses completed and credits obtained', lines: credits }] : []),
    ],
    footer: `Europass Mobility ${europassNumber(s.mobilityId)}, ${s.startDate} – ${s.endDate}. Issued by the sending partner from the mobility's recorded events.`,
  };
};

/** The staff member's career record: every staff mobility of theirs in the reader's scope, oldest first. */
export const careerDocument = (mobilities: readonly MobilitySummary[], holder: Holder, issuer: Issuer, issuedOn: string): RecordDocument => {
  const rows = careerRows(mobilities);
  return {
    title: 'Staff mobility career record',
    subtitle: `Erasmus+ mobilities of ${holder.givenName} ${holder.familyName}`,
    sections: [
      { heading: 'Staff member', lines: [['Name', `${holder.givenName} ${holder.familyName}`], ['Participant reference', mobilities[0]?.participantRef ?? '—']] },
      { heading: `Mobilities (${rows.length})`, lines: [], table: { columns: ['Mobility', 'Dates', 'Days', 'Host', 'Activity', 'Outcome'], rows: rows.map((r) => [r.mobilityId, `${r.startDate} – ${r.endDate}`, String(r.days), r.host, r.activity, r.outcome]) } },
      { heading: 'Issuer', lines: [['Issued by', `${issuer.institutionName} (${issuer.institutionId})`], ['Issued on', issuedOn]] },
    ],
    footer: 'Career record of staff mobilities, from the mobilities\' recorded events.',
  };
};

export interface CareerRow { readonly mobilityId: string; readonly startDate: string; readonly endDate: string; readonly days: number; readonly host: string; readonly activity: string; readonly outcome: string }

/** Staff mobilities only, by start date then id. */
export const careerRows = (mobilities: readonly MobilitySummary[]): CareerRow[] =>
  mobilities.filter((m) => m.family === 'staff')
    .slice().sort((a, b) => a.startDate.localeCompare(b.startDate) || a.mobilityId.localeCompare(b.mobilityId))
    .map((m) => ({ mobilityId: m.mobilityId, startDate: m.startDate, endDate: m.endDate, days: m.days, host: `${m.hostOrgId} (${m.receivingCountry})`, activity: `${m.activityLabel} (${m.activity})`, outcome: outcomeText(m) }));

export const OB3_CONTEXT = ['https://www.w3.org/2018/credentials/v1', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'] as const;
/** The context of the status list terms of VC Data Model 1.1 credentials (StatusList2021Entry, StatusList2021Credential). */
export const STATUS_LIST_2021_CONTEXT = 'https://w3id.org/vc/status-list/2021/v1';

/** A badge's revocation entry: its index in a status list credential the engine serves (infra/credentials/status-list.ts). */
export interface BadgeStatusEntry {
  readonly id: string;
  readonly type: 'StatusList2021Entry';
  readonly statusPurpose: 'revocation';
  readonly statusListIndex: string;
  readonly statusListCredential: string;
}

/** The two families of open badges (seed 003): learners, and professionals (staff). */
export const achievementOf = (s: Pick<MobilitySummary, 'family' | 'activity' | 'activityLabel'>) => ({
  id: `urn:mobility-engine:achievement:${s.family}:${s.activity}`,
  type: ['Achievement'],
  achievementType: s.family === 'learner' ? 'LearningProgram' : 'CertificateOfCompletion',
  name: `Erasmus+ ${s.family === 'learner' ? 'learning mobility' : 'staff mobility'}: ${s.activityLabel}`,
  description: s.family === 'learner'
    ? `A period of learning abroad (${s.activityLabel}) under Erasmus+ Key Action 1, its attendance certified by the host and its learning outcomes recognised by the sending organisation.`
    : `A professional mobility abroad (${s.activityLabel}) under Erasmus+ Key Action 1, its attendance certified by the host and recognised by the sending organisation.`,
  criteria: { narrative: 'The host certified the attendance (certificate of attendance) and the sending organisation recorded the recognition of the mobility.' },
});

export interface BadgeInput {
  readonly credentialId: string;
  readonly issuer: { readonly did: string; readonly name: string; readonly institutionId: string };
  /** The OB 3.0 IdentityObject of the subject: a salted SHA-256 of the e-mail address, computed by the caller. */
  readonly identity: { readonly identityHash: string; readonly salt: string };
  /** Where a verifier learns whether the badge was revoked (absent: the badge cannot be revoked). */
  readonly status?: BadgeStatusEntry;
}

/**
 * The OpenBadgeCredential of a recognised mobility (unsigned: infra/credentials signs it). Issued at the
 * instant recognition was recorded. The subject is a hashed e-mail (OB 3.0 IdentityObject), never a name.
 */
export const openBadgeCredential = (s: MobilitySummary, b: BadgeInput) => {
  if (!s.recognition) throw new Error(`mobility ${s.mobilityId}: no recognition recorded`);
  const achievement = achievementOf(s);
  return {
    '@context': b.status ? [...OB3_CONTEXT, STATUS_LIST_2021_CONTEXT] : [...OB3_CONTEXT],
    id: b.credentialId,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: achievement.name,
    ...(s.recognition.learningOutcomes.length > 0 ? { description: `Learning outcomes: ${s.recognition.learningOutcomes.join('; ')}` } : {}),
    issuer: { id: b.issuer.did, type: ['Profile'], name: b.issuer.name, otherIdentifier: [{ type: 'IdentifierEntry', identifier: b.issuer.institutionId, identifierType: 'identifier' }] },
    issuanceDate: new Date(Date.parse(s.recognition.recordedAt)).toISOString().replace(/\.\d{3}Z$/, '.000Z'),
    credentialSubject: {
      type: ['AchievementSubject'],
      identifier: [{ type: 'IdentityObject', hashed: true, identityHash: b.identity.identityHash, identityType: 'emailAddress', salt: b.identity.salt }],
      achievement,
      activityStartDate: `${s.startDate}T00:00:00Z`,
      activityEndDate: `${s.endDate}T00:00:00Z`,
      ...(s.recognition.recognisedEcts !== null ? { creditsEarned: s.recognition.recognisedEcts } : {}),
    },
    ...(b.status ? { credentialStatus: { ...b.status } } : {}),
  };
};
export type OpenBadgeCredential = ReturnType<typeof openBadgeCredential>;
