/**
 * The demo fed by `npm start` (also runnable alone against a running stack: npm run demo).
 *
 * It seeds the demo directory and staff accounts (workers/api/demo.ts), registers two projects
 * with their funder lines, and drives a few hundred mobilities through the same validated staff
 * actions the console uses, spread over every stage and several activity types:
 * - `2024-1-FR01-KA131-HED-000042`, higher education, held by the consortium CONS-AURA-DEMO
 *   (Lyon coordinates and pays, Grenoble administers, Clermont controls quality; some of Lyon's
 *   mobilities belong to its Bron campus), funder lines Erasmus+ and the regional council;
 * - `2024-1-FR01-KA121-VET-000077`, vocational education, held by F-PARIS-001 outside the
 *   consortium (some at its Campus Nord), funder lines Erasmus+ and a ministry grant.
 * Dates are relative to today, so the story is the same whenever it runs: some mobilities are
 * overdue (a certificate of attendance, a participant report), some have fewer opportunities,
 * some travel green.
 *
 * Idempotent: each mobility driven to the end of its story is recorded in `demo_mobilities`;
 * a restart skips those, and never starts a finished (closed) workflow again. A mobility left half
 * way continues with the same deterministic Update ids, which Temporal answers from history.
 */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Stage } from '../domain/mobility/lifecycle';
import type pg from 'pg';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig } from '../infra/config';
import { createPool } from '../infra/db/pool';
import { connectTemporal } from '../infra/temporal';
import { mobility, registerProject, startMobility } from '../workflows/client';
import type { PayloadOf, StartMobilityInput, UpdateName } from '../workflows/messages';
import { DEMO_DIRECTORY, seedDemoTenancy } from '../workers/api/demo';
import { demoApi, demoIncoming, type DemoDocument, demoPdf, seedDocuments, seedIncoming } from './demo-api';

export const DEMO_PROJECT = '2024-1-FR01-KA131-HED-000042';
export const DEMO_VET_PROJECT = '2024-1-FR01-KA121-VET-000077';
export const DEMO_INSTITUTION = 'F-LYON-003';
export const DEMO_CONSORTIUM = 'CONS-AURA-DEMO';
const ACTOR = 'staff.demo-office';

type Step = { [U in UpdateName]: [U, PayloadOf<U>] }[UpdateName];
const step = <U extends UpdateName>(name: U, payload: Omit<PayloadOf<U>, 'actor'>): Step => [name, { actor: ACTOR, ...payload } as PayloadOf<U>] as Step;

/** The stage a demo mobility is driven to (a stage of the lifecycle table), or a departure left overdue. */
type Target = Exclude<Stage, 'none'> | 'departed-overdue';

export interface DemoMobility {
  mobilityId: string;
  projectId: string;
  institutionId: string;
  consortiumId: string | null;
  siteId: string | null;
  participantRef: string;
  target: Target;
  app: Omit<StartMobilityInput, 'actor'>;
  steps: Step[];
}

const addDays = (iso: string, n: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** A small deterministic generator (mulberry32): the same demo on every run. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    weighted: <T>(xs: readonly (readonly [T, number])[]): T => {
      const total = xs.reduce((s, [, w]) => s + w, 0);
      let r = next() * total;
      for (const [x, w] of xs) if ((r -= w) < 0) return x;
      return xs[xs.length - 1]![0];
    },
  };
}

/** Every stage, with the share of mobilities the demo leaves in it. */
const TARGETS: readonly (readonly [Target, number])[] = [
  ['applied', 11], ['reserve-list', 4], ['rejected', 4], ['withdrawn', 3], ['selected', 9], ['agreed', 11],
  ['departed', 9], ['departed-overdue', 7], ['attended', 14], ['reported', 12], ['recognised', 12], ['cancelled', 4],
];

interface Activity { code: StartMobilityInput['activity']; days: [number, number]; learnerHE: boolean; ects?: number }
const HE: readonly (readonly [Activity, number])[] = [
  [{ code: 'HE-SMS', days: [95, 150], learnerHE: true, ects: 30 }, 45],
  [{ code: 'HE-SMP', days: [65, 120], learnerHE: true, ects: 15 }, 30],
  [{ code: 'HE-STA', days: [3, 6], learnerHE: false }, 13],
  [{ code: 'HE-STT', days: [3, 6], learnerHE: false }, 12],
];
const VET: readonly (readonly [Activity, number])[] = [
  [{ code: 'VET-LEARN-ST', days: [20, 45], learnerHE: false }, 50],
  [{ code: 'VET-PRO', days: [95, 130], learnerHE: false }, 20],
  [{ code: 'VET-STAFF-JS', days: [3, 6], learnerHE: false }, 18],
  [{ code: 'VET-STAFF-CO', days: [3, 6], learnerHE: false }, 12],
];
const COUNTRIES = [['DE', 880, 'D-BERLIN-01'], ['ES', 1300, 'E-VALENC-07'], ['IT', 800, 'I-BOLOGNA-01'], ['PL', 1250, 'PL-KRAKOW-02'], ['NL', 700, 'NL-UTRECHT-03'],
  ['SE', 1600, 'S-LUND-01'], ['PT', 1450, 'P-PORTO-02'], ['IE', 1050, 'IRL-DUBLIN-04'], ['BE', 450, 'B-GENT-01'], ['FI', 2100, 'SF-TAMPERE-02']] as const;

interface Owner { projectId: string; institutionId: string; consortiumId: string | null; siteId: string | null; activities: typeof HE; lines: readonly string[] }

/** The owners of the demo's mobilities, each with its share. */
const OWNERS: readonly (readonly [Owner, number])[] = [
  [{ projectId: DEMO_PROJECT, institutionId: 'F-LYON-003', consortiumId: DEMO_CONSORTIUM, siteId: null, activities: HE, lines: ['erasmus', 'erasmus', 'region'] }, 42],
  [{ projectId: DEMO_PROJECT, institutionId: 'F-LYON-003', consortiumId: DEMO_CONSORTIUM, siteId: 'F-LYON-003-BRON', activities: HE, lines: ['erasmus', 'region'] }, 18],
  [{ projectId: DEMO_PROJECT, institutionId: 'F-GRENOB-002', consortiumId: DEMO_CONSORTIUM, siteId: null, activities: HE, lines: ['erasmus', 'erasmus', 'region'] }, 60],
  [{ projectId: DEMO_PROJECT, institutionId: 'F-CLERMO-004', consortiumId: DEMO_CONSORTIUM, siteId: null, activities: HE, lines: ['erasmus', 'erasmus', 'region'] }, 60],
  [{ projectId: DEMO_VET_PROJECT, institutionId: 'F-PARIS-001', consortiumId: null, siteId: null, activities: VET, lines: ['erasmus', 'erasmus', 'ministry'] }, 40],
  [{ projectId: DEMO_VET_PROJECT, institutionId: 'F-PARIS-001', consortiumId: null, siteId: 'F-PARIS-001-NORD', activities: VET, lines: ['erasmus', 'ministry'] }, 20],
];

export const DEMO_PROJECTS = [
  {
    projectId: DEMO_PROJECT, institutionId: 'F-LYON-003', consortiumId: DEMO_CONSORTIUM,
    // The grant agreement's terms: the French NA's rates of call 2024 (within the EU ranges).
    terms: {
      action: 'KA131' as const, callYear: 2024, country: 'FR', prefinancingPercent: 80,
      applicableRates: {
        'HE-SMS': { '1': { monthlyEur: 600 }, '2': { monthlyEur: 600 }, '3': { monthlyEur: 540 } },
        'HE-SMP': { '1': { monthlyEur: 600 }, '2': { monthlyEur: 600 }, '3': { monthlyEur: 540 } },
        'HE-STA': { '1': { dailyEur: 120 }, '2': { dailyEur: 120 }, '3': { dailyEur: 100 } },
        'HE-STT': { '1': { dailyEur: 120 }, '2': { dailyEur: 120 }, '3': { dailyEur: 100 } },
      },
    },
    lines: [
      { lineId: 'erasmus', funder: 'Erasmus+ KA131', allocatedCents: 52_000_000, allocatedMobilities: 160 },
      { lineId: 'region', funder: 'Région Auvergne-Rhône-Alpes', allocatedCents: 16_000_000, allocatedMobilities: 60 },
    ],
  },
  {
    projectId: DEMO_VET_PROJECT, institutionId: 'F-PARIS-001', consortiumId: null,
    // Vocational education: the EU's unit costs, no NA rate to set.
    terms: { action: 'KA121' as const, callYear: 2024, country: 'FR', prefinancingPercent: 80, applicableRates: {} },
    lines: [
      { lineId: 'erasmus', funder: 'Erasmus+ KA121', allocatedCents: 16_000_000, allocatedMobilities: 60 },
      { lineId: 'ministry', funder: 'Ministère — bourses de mobilité', allocatedCents: 12_000_000, allocatedMobilities: 25 },
    ],
  },
];

/**
 * The demo's mobilities, dated relative to `today`. `count` mobilities in all (default 240),
 * spread over the owners; `projects` renames the two projects (tests use fresh ones).
 */
export function demoMobilities(today: string, count = 240, projects: Record<string, string> = {}): DemoMobility[] {
  const r = random(20240042);
  const total = OWNERS.reduce((s, [, w]) => s + w, 0);
  const out: DemoMobility[] = [];
  const perProject = new Map<string, number>();
  for (const [owner, weight] of OWNERS) {
    const n = Math.max(1, Math.round((count * weight) / total));
    for (let k = 0; k < n; k++) {
      const projectId = projects[owner.projectId] ?? owner.projectId;
      const seq = (perProject.get(projectId) ?? 0) + 1;
      perProject.set(projectId, seq);
      // The first two dozen mobilities cover every stage twice; the rest follow the shares.
      const target = out.length < 2 * TARGETS.length ? TARGETS[out.length % TARGETS.length]![0] : r.weighted(TARGETS);
      const act = r.weighted(owner.activities);
      const [country, km, host] = r.pick(COUNTRIES);
      const days = r.int(act.days[0], act.days[1]);
      // Where the mobility stands in time, by the stage it will reach.
      const start = {
        applied: r.int(40, 150), 'reserve-list': r.int(40, 150), rejected: r.int(40, 150), withdrawn: r.int(40, 150), selected: r.int(30, 120),
        cancelled: r.int(30, 120), agreed: r.int(8, 60), departed: -r.int(1, Math.max(1, days - 2)),
        'departed-overdue': -(days + r.int(3, 25)), attended: -(days + r.int(2, 70)), reported: -(days + r.int(5, 200)), recognised: -(days + r.int(20, 260)),
      }[target];
      const startDate = addDays(today, start);
      const endDate = addDays(startDate, days - 1);
      const participantRef = demoParticipantRef(out.length + 1, owner.institutionId);
      const greenTravel = r.next() < 0.32;
      const fewerOpportunities = r.next() < 0.16;
      const signBase = addDays(startDate, -20) < today ? addDays(startDate, -20) : today;
      const signedOn = addDays(signBase, -r.int(2, 10));
      const s: Step[] = [];
      const agreed = ['agreed', 'departed', 'departed-overdue', 'attended', 'reported', 'recognised'].includes(target);
      const departed = ['departed', 'departed-overdue', 'attended', 'reported', 'recognised'].includes(target);
      const attended = ['attended', 'reported', 'recognised'].includes(target);
      if (target === 'reserve-list') s.push(step('reject', { reasonCode: 'selection-ranking', reserveListRank: r.int(1, 9) }));
      if (target === 'rejected') s.push(step('reject', { reasonCode: r.pick(['not-eligible', 'incomplete-application', 'selection-ranking'] as const) }));
      if (target === 'withdrawn') s.push(step('withdraw', { reasonCode: r.pick(['participant-request', 'personal', 'academic'] as const) }));
      if (target === 'selected' || target === 'cancelled' || agreed) s.push(step('select', {}));
      if (target === 'cancelled') s.push(step('cancel', { reasonCode: r.pick(['participant-withdrew', 'host-cancelled'] as const) }));
      if (agreed) s.push(step('signAgreement', { participantSignedOn: signedOn, institutionSignedOn: addDays(signedOn, 1) }));
      if (agreed && act.learnerHE && r.next() < 0.8) s.push(step('recordOlsAssessment', { phase: 'before', language: country === 'ES' ? 'es' : country === 'IT' ? 'it' : country === 'DE' ? 'de' : 'en', level: r.pick(['A2', 'B1', 'B2'] as const) }));
      if (departed) s.push(step('confirmDeparture', { actualStartDate: startDate }));
      if (attended) s.push(step('recordCertificateOfAttendance', { actualStartDate: startDate, actualEndDate: endDate }));
      if (target === 'reported' || target === 'recognised') {
        s.push(step('recordReportSubmitted', { submittedOn: today }));
        if (act.learnerHE && r.next() < 0.7) s.push(step('recordOlsAssessment', { phase: 'after', language: 'en', level: r.pick(['B1', 'B2', 'C1'] as const) }));
      }
      if (target === 'recognised') {
        if (act.learnerHE) {
          const ects = act.ects!;
          s.push(step('recordTranscriptOfRecords', { receivedOn: today, ects }));
          const full = r.next() < 0.85;
          // A learner fully recognised also gets an open badge (the console offers it with the Europass record).
          s.push(step('recordRecognition', { outcome: full ? 'full' : 'partial', recognisedEcts: full ? ects : ects - 5, europass: true, openBadge: full }));
        } else {
          s.push(step('recordRecognition', { outcome: 'full', europass: r.next() < 0.6, openBadge: r.next() < 0.5 }));
        }
      }
      const mobilityId = `${projectId}-MOB-${String(seq).padStart(5, '0')}`;
      out.push({
        mobilityId, projectId, institutionId: owner.institutionId, consortiumId: owner.consortiumId, siteId: owner.siteId, participantRef, target,
        app: {
          mobilityId, projectId, institutionId: owner.institutionId, consortiumId: owner.consortiumId, ...(owner.siteId ? { siteId: owner.siteId } : {}),
          participantRef, activity: act.code, funderLineId: r.pick(owner.lines),
          plan: { startDate, endDate, receivingCountry: country, sendingCountry: 'FR', hostOrgId: host, distanceKm: km, greenTravel, fewerOpportunities },
          rates: { callYear: 2024, rates: { monthlyEur: 600, dailyEur: 120 } },
        },
        steps: s,
      });
    }
  }
  return out;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** A registry-shaped ref (P- and 12 base32 characters) that says it is the demo's: DEMO, the institution, the number. */
export const demoParticipantRef = (n: number, institutionId: string): string => {
  let digits = '';
  for (let v = n, i = 0; i < 5; i++, v = Math.floor(v / 32)) digits = BASE32[v % 32] + digits;
  return `P-DEMO${institutionId.slice(2, 5).toUpperCase().replace(/[^A-Z]/g, 'X')}${digits}`;
};

/**
 * The demo's participants live where every participant's personal data lives: the participant
 * registry (made-up names and addresses), and the mail contact the registry keeps in step. Workflows
 * and events carry only the ref.
 */
async function seedParticipants(pool: pg.Pool, list: DemoMobility[], incoming: readonly { participantRef: string; nomination: { receivingInstitutionId: string; sendingCountry: string } }[]) {
  // Incoming participants are in the registry of the institution that receives them.
  for (const i of incoming) {
    await pool.query(
      `INSERT INTO participants (participant_ref, institution_id, given_name, family_name, email, date_of_birth, gender, nationality, created_by)
       VALUES ($1, $2, 'Demo', $3, $4, '1990-05-06', 'undisclosed', $5, $6) ON CONFLICT (participant_ref) DO NOTHING`,
      [i.participantRef, i.nomination.receivingInstitutionId, `Guest ${i.participantRef.slice(-5)}`, `${i.participantRef.toLowerCase()}@guest.example.org`, i.nomination.sendingCountry, ACTOR]);
  }
  for (const m of list) {
    await pool.query(
      `INSERT INTO participants (participant_ref, institution_id, site_id, given_name, family_name, email, date_of_birth, gender, nationality, fewer_opportunities_criterion, created_by)
       VALUES ($1, $2, $3, 'Demo', $4, $5, '2002-03-04', 'undisclosed', 'FR', $6, $7) ON CONFLICT (participant_ref) DO NOTHING`,
      [m.participantRef, m.institutionId, m.siteId, `Participant ${m.participantRef.slice(-5)}`, `${m.participantRef.toLowerCase()}@student.example.org`,
        m.app.plan.fewerOpportunities ? 'FO-04' : null, ACTOR]);
  }
  const refs = list.map((m) => m.participantRef);
  await pool.query(
    `INSERT INTO participant_contacts (participant_ref, email, display_name)
     SELECT r, lower(r) || '@student.example.org', 'Demo Participant ' || right(r, 5) FROM unnest($1::text[]) AS r ON CONFLICT DO NOTHING`, [refs]);
  for (const i of DEMO_DIRECTORY.institutions) {
    await pool.query('INSERT INTO coordinator_contacts (institution_id, email) VALUES ($1, $2) ON CONFLICT DO NOTHING', [i.id, `europe-office@${i.id.toLowerCase()}.example.org`]);
  }
}

async function untilInvited(h: ReturnType<typeof mobility>, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const st = await h.state();
    if ('reportInvitation' in st && st.reportInvitation) return;
    if (Date.now() > until) throw new Error(`the participant report of ${h.handle.workflowId} was not invited within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A progress bar on a terminal; a line every tenth otherwise (logs). */
function progress(total: number, log: (line: string) => void, tty: boolean) {
  let done = 0;
  let lastTenth = -1;
  const draw = (note = '') => {
    const width = 30;
    const filled = Math.round((done / Math.max(1, total)) * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} mobilities`;
    if (tty) {
      process.stdout.write(`\rdemo: ${bar} ${note}`.padEnd(100));
      if (done === total) process.stdout.write('\n');
    } else {
      // Not a terminal (npm start passes the lines through, logs): the bar again every tenth.
      const tenth = Math.floor((done / Math.max(1, total)) * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        log(`demo: seeding ${bar} (${tenth * 10}%)`);
      }
    }
  };
  draw();
  return { tick: (note?: string) => { done++; draw(note); } };
}

export interface DemoOptions {
  /** Rename the demo projects (tests use fresh ones): demo project id → id to use. */
  projects?: Record<string, string>;
  /** How many mobilities (default 240). */
  count?: number;
  /** The day the story is told from (ISO date); today by default. */
  today?: string;
  /** Mobilities driven at once. */
  concurrency?: number;
  log?: (line: string) => void;
  /** Draw a progress bar (default: when standard output is a terminal). */
  tty?: boolean;
}

export interface DemoResult {
  ids: string[];
  /** Mobilities driven by this run (the others were already seeded). */
  driven: string[];
  mobilities: DemoMobility[];
  /** The incoming stays (nominated through the API) and the stage each is at. */
  incoming: { participantRef: string; incomingId: string; stage: string }[];
  /** Documents attached through the API; `created` false when this run found them already there. */
  documents: { mobilityId: string; kind: string; sha256: string; created: boolean }[];
}

export async function runDemo(cfg: Config, client: Client, opts: DemoOptions = {}): Promise<DemoResult> {
  const today = opts.today ?? new Date().toISOString().slice(0, 10);
  const log = opts.log ?? console.log;
  const pool = createPool(cfg, 4);
  try {
    await seedDemoTenancy(pool);
    const list = demoMobilities(today, opts.count, opts.projects);
    const incomingList = demoIncoming(today, demoParticipantRef);
    await seedParticipants(pool, list, incomingList);
    for (const p of DEMO_PROJECTS) {
      const projectId = opts.projects?.[p.projectId] ?? p.projectId;
      await registerProject(client, cfg.temporal.taskQueue, { ...p, projectId });
      log(`demo: project ${projectId} registered (funder lines ${p.lines.map((l) => l.lineId).join(', ')})`);
    }
    // The server numbers the mobilities it registers: its numbering continues after the demo's.
    for (const [projectId, n] of [...new Set(list.map((m) => m.projectId))].map((p) => [p, list.filter((m) => m.projectId === p).length] as const)) {
      await pool.query(
        `INSERT INTO project_mobility_sequences (project_id, next) VALUES ($1, $2)
         ON CONFLICT (project_id) DO UPDATE SET next = greatest(project_mobility_sequences.next, excluded.next)`, [projectId, n + 1]);
    }
    const seeded = new Set((await pool.query<{ mobility_id: string }>('SELECT mobility_id FROM demo_mobilities WHERE mobility_id = ANY($1)', [list.map((m) => m.mobilityId)])).rows.map((r) => r.mobility_id));
    const todo = list.filter((m) => !seeded.has(m.mobilityId));
    if (seeded.size > 0) log(`demo: ${seeded.size} mobilities already seeded by an earlier run (kept as they are)`);
    const bar = progress(todo.length, log, opts.tty ?? Boolean(process.stdout.isTTY));
    const driven: string[] = [];
    const failed: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const m = todo[next++]!;
        try {
          if (await drive(cfg, client, pool, m)) driven.push(m.mobilityId);
        } catch (err) {
          // One mobility the domain refuses (e.g. a line without funds left) does not stop the demo.
          failed.push(`${m.mobilityId}: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`);
        }
        bar.tick(m.mobilityId);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 6 }, worker));
    const byTarget = new Map<string, number>();
    for (const m of list) byTarget.set(m.target, (byTarget.get(m.target) ?? 0) + 1);
    log(`demo: ${list.length} mobilities (${[...byTarget].map(([k, v]) => `${k} ${v}`).join(', ')})`);
    for (const f of failed) log(`demo: not completed (left as it is): ${f}`);
    // What issues 13 and 14 added, through the API the console calls: incoming stays and documents.
    const api = await demoApi(cfg, pool, client);
    try {
      const incoming = await seedIncoming(api, incomingList, log);
      const documents = await seedDocuments(api, await demoDocuments(list), log);
      return { ids: list.map((m) => m.mobilityId), driven, mobilities: list, incoming, documents };
    } finally {
      await api.close();
    }
  } finally {
    await pool.end();
  }
}

/**
 * The documents the demo attaches, each by staff whose role may: a signed grant agreement on an agreed
 * mobility of Lyon (the consortium's administrative manager signs agreements) and of Paris (its own
 * office), and a certificate of attendance on Lyon's first attended one (Lyon's office). Only mobilities
 * still open (not recognised or otherwise closed) can take a document.
 */
async function demoDocuments(list: readonly DemoMobility[]): Promise<DemoDocument[]> {
  const pick = (institutionId: string, targets: readonly Target[]) => targets.map((t) => list.find((m) => m.institutionId === institutionId && m.target === t)).find(Boolean);
  const out: DemoDocument[] = [];
  for (const [account, institutionId, targets, kind, title] of [
    ['admin', 'F-LYON-003', ['agreed', 'departed'], 'grant-agreement', 'Grant agreement (signed)'],
    ['paris', 'F-PARIS-001', ['agreed', 'departed', 'departed-overdue', 'attended'], 'grant-agreement', 'Grant agreement (signed)'],
    ['lyon', 'F-LYON-003', ['attended', 'reported'], 'certificate-of-attendance', 'Certificate of attendance'],
  ] as const) {
    const m = pick(institutionId, targets);
    if (!m) continue;
    const dates = kind === 'certificate-of-attendance' ? [`Attended from ${m.app.plan.startDate} to ${m.app.plan.endDate}`] : [`Planned from ${m.app.plan.startDate} to ${m.app.plan.endDate}`];
    out.push({ account, mobilityId: m.mobilityId, kind, bytes: await demoPdf(title, [`Mobility ${m.mobilityId}`, `Activity ${m.app.activity}, host ${m.app.plan.hostOrgId}`, ...dates]) });
  }
  return out;
}

/** Starts one mobility and runs its steps; false when a finished workflow of that id already exists (it is left alone). */
async function drive(cfg: Config, client: Client, pool: pg.Pool, m: DemoMobility): Promise<boolean> {
  const h = mobility(client, m.mobilityId);
  const existing = await h.handle.describe().catch(() => null);
  if (existing && existing.status.name !== 'RUNNING') {
    await pool.query('INSERT INTO demo_mobilities (mobility_id, stage) VALUES ($1, $2) ON CONFLICT DO NOTHING', [m.mobilityId, 'closed']);
    return false;
  }
  // The ownership with its site, as the API records an application submitted through the console.
  await pool.query(
    `INSERT INTO console_mobilities (mobility_id, project_id, institution_id, consortium_id, site_id, activity, submitted_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (mobility_id) DO NOTHING`,
    [m.mobilityId, m.projectId, m.institutionId, m.consortiumId, m.siteId, m.app.activity, ACTOR],
  );
  if (!existing) {
    try {
      await startMobility(client, cfg.temporal.taskQueue, { ...m.app, actor: ACTOR });
    } catch (err) {
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    }
  }
  let stage = 'applied';
  for (const [i, [name, payload]] of m.steps.entries()) {
    // The report is invited by the workflow's own timer the day after the actual end date:
    // like a participant, the demo answers once the invitation has gone out.
    if (name === 'recordReportSubmitted') await untilInvited(h);
    // A deterministic update id: a rerun never applies a step twice.
    stage = (await h.act(name as never, payload as never, `${m.mobilityId}:demo:${name}:${i}`)).stage;
  }
  await pool.query('INSERT INTO demo_mobilities (mobility_id, stage) VALUES ($1, $2) ON CONFLICT DO NOTHING', [m.mobilityId, stage]);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cfg = loadConfig();
  const client = await connectTemporal(cfg);
  // ME_DEMO_COUNT: how many mobilities the demo seeds (default 240); a smaller demo starts faster.
  const count = z.coerce.number().int().min(12).max(5_000).optional().parse(process.env.ME_DEMO_COUNT || undefined);
  await runDemo(cfg, client, count ? { count } : {});
  await client.connection.close();
}
