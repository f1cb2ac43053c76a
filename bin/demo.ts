/**
 * The demo fed by `npm start` (also runnable alone against a running stack: npm run demo).
 * It registers a consortium project with two funder lines, then drives a handful of mobilities
 * through the same validated commands operations staff use: one completed and recognised, one
 * traineeship of a fewer-opportunities participant travelling green, a staff mobility, one on the
 * reserve list, one cancelled and one agreed and waiting to leave (its timers are live).
 * Idempotent: a second run leaves existing mobilities as they are.
 */
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig } from '../infra/config';
import { createPool } from '../infra/db/pool';
import { connectTemporal } from '../infra/temporal';
import { mobility, registerProject, startMobility } from '../workflows/client';
import type { PayloadOf, StartMobilityInput, UpdateName } from '../workflows/messages';

export const DEMO_PROJECT = '2024-1-FR01-KA131-HED-000042';
export const DEMO_INSTITUTION = 'F-LYON-003';
export const DEMO_CONSORTIUM = 'CONS-AURA-DEMO';
const ACTOR = 'staff.demo-office';

type Step = { [U in UpdateName]: [U, PayloadOf<U>] }[UpdateName];
const step = <U extends UpdateName>(name: U, payload: Omit<PayloadOf<U>, 'actor'>): Step => [name, { actor: ACTOR, ...payload } as PayloadOf<U>] as Step;

interface DemoMobility {
  n: number;
  participantRef: string;
  app: Omit<StartMobilityInput, 'mobilityId' | 'projectId' | 'institutionId' | 'consortiumId' | 'participantRef' | 'actor' | 'funderLineId'> & { funderLineId?: string };
  steps: Step[];
}

const addDays = (iso: string, n: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The demo's mobilities, dated relative to today so the story is the same whenever it runs. */
export function demoMobilities(today: string): DemoMobility[] {
  const past = (days: number) => addDays(today, -days);
  const soon = (days: number) => addDays(today, days);
  const rates2024 = { callYear: 2024, rates: { monthlyEur: 600 } };
  return [
    {
      // Completed five-month study mobility, recognised in full.
      n: 1, participantRef: 'P-a1b2c3d4',
      app: { activity: 'HE-SMS', plan: { startDate: past(300), endDate: past(151), receivingCountry: 'DE', sendingCountry: 'FR', hostOrgId: 'D-BERLIN-01', distanceKm: 880, greenTravel: false, fewerOpportunities: false }, rates: rates2024 },
      steps: [
        step('select', {}),
        step('signAgreement', { participantSignedOn: past(330), institutionSignedOn: past(328) }),
        step('recordOlsAssessment', { phase: 'before', language: 'de', level: 'B1' }),
        step('confirmDeparture', { actualStartDate: past(300) }),
        step('recordCertificateOfAttendance', { actualStartDate: past(300), actualEndDate: past(153) }),
        step('recordReportSubmitted', { submittedOn: today }),
        step('recordOlsAssessment', { phase: 'after', language: 'de', level: 'B2' }),
        step('recordTranscriptOfRecords', { receivedOn: today, ects: 30 }),
        step('recordRecognition', { outcome: 'full', recognisedEcts: 30 }),
      ],
    },
    {
      // Traineeship of a participant with fewer opportunities, green travel; report still due.
      n: 2, participantRef: 'P-e5f6a7b8',
      app: { activity: 'HE-SMP', funderLineId: 'erasmus', plan: { startDate: past(120), endDate: past(30), receivingCountry: 'ES', sendingCountry: 'FR', hostOrgId: 'E-VALENC-07', distanceKm: 1300, greenTravel: true, fewerOpportunities: true }, rates: rates2024 },
      steps: [
        step('select', {}),
        step('signAgreement', { participantSignedOn: past(150), institutionSignedOn: past(149) }),
        step('confirmDeparture', { actualStartDate: past(120) }),
        step('recordCertificateOfAttendance', { actualStartDate: past(120), actualEndDate: past(30) }),
      ],
    },
    {
      // Staff teaching mobility, reported.
      n: 3, participantRef: 'P-c9d0e1f2',
      app: { activity: 'HE-STA', plan: { startDate: past(60), endDate: past(56), receivingCountry: 'IT', sendingCountry: 'FR', hostOrgId: 'I-BOLOGNA-01', distanceKm: 800, greenTravel: true, fewerOpportunities: false }, rates: { callYear: 2024, rates: { dailyEur: 120 } } },
      steps: [
        step('select', {}),
        step('signAgreement', { participantSignedOn: past(80), institutionSignedOn: past(80) }),
        step('confirmDeparture', { actualStartDate: past(60) }),
        step('recordCertificateOfAttendance', { actualStartDate: past(60), actualEndDate: past(56) }),
        step('recordReportSubmitted', { submittedOn: today }),
      ],
    },
    {
      // On the reserve list.
      n: 4, participantRef: 'P-0a1b2c3d',
      app: { activity: 'HE-SMS', plan: { startDate: soon(70), endDate: soon(189), receivingCountry: 'PL', sendingCountry: 'FR', hostOrgId: 'PL-KRAKOW-02', distanceKm: 1250, greenTravel: false, fewerOpportunities: false }, rates: rates2024 },
      steps: [step('reject', { reasonCode: 'selection-ranking', reserveListRank: 1 })],
    },
    {
      // Selected, then cancelled before departure: its reservation is released.
      n: 5, participantRef: 'P-4e5f6a7b',
      app: { activity: 'HE-SMS', plan: { startDate: soon(50), endDate: soon(169), receivingCountry: 'SE', sendingCountry: 'FR', hostOrgId: 'S-LUND-01', distanceKm: 1600, greenTravel: false, fewerOpportunities: false }, rates: rates2024 },
      steps: [step('select', {}), step('cancel', { reasonCode: 'participant-withdrew' })],
    },
    {
      // Agreed and waiting to leave in three weeks: pre-financing ordered, timers and reminders live.
      n: 6, participantRef: 'P-8c9d0e1f',
      app: { activity: 'HE-SMS', plan: { startDate: soon(21), endDate: soon(170), receivingCountry: 'NL', sendingCountry: 'FR', hostOrgId: 'NL-UTRECHT-03', distanceKm: 700, greenTravel: true, fewerOpportunities: false }, rates: rates2024 },
      steps: [step('select', {}), step('signAgreement', { participantSignedOn: past(3), institutionSignedOn: past(2) })],
    },
  ];
}

/** Contacts live only in Postgres (never in workflow history or events): demo addresses. */
async function seedContacts(pool: pg.Pool, refs: string[]) {
  for (const ref of refs) {
    await pool.query('INSERT INTO participant_contacts (participant_ref, email, display_name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [ref, `${ref.toLowerCase()}@student.example.org`, `Demo participant ${ref.slice(2, 6)}`]);
  }
  await pool.query('INSERT INTO coordinator_contacts (institution_id, email) VALUES ($1, $2) ON CONFLICT DO NOTHING', [DEMO_INSTITUTION, 'europe-office@lyon.example.org']);
}

async function untilInvited(h: ReturnType<typeof mobility>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const st = await h.state();
    if ('reportInvitation' in st && st.reportInvitation) return;
    if (Date.now() > until) throw new Error(`the participant report of ${h.handle.workflowId} was not invited within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface DemoOptions {
  /** The demo project's id (tests use a fresh one). */
  projectId?: string;
  /** The day the story is told from (ISO date); today by default. */
  today?: string;
  log?: (line: string) => void;
}

export async function runDemo(cfg: Config, client: Client, opts: DemoOptions = {}): Promise<string[]> {
  const projectId = opts.projectId ?? DEMO_PROJECT;
  const today = opts.today ?? new Date().toISOString().slice(0, 10);
  const log = opts.log ?? console.log;
  const mobilityIdOf = (n: number) => `${projectId}-MOB-${String(n).padStart(5, '0')}`;
  const pool = createPool(cfg, 2);
  try {
    const list = demoMobilities(today);
    await seedContacts(pool, list.map((m) => m.participantRef));
    await registerProject(client, cfg.temporal.taskQueue, {
      projectId,
      institutionId: DEMO_INSTITUTION,
      lines: [
        { lineId: 'erasmus', funder: 'Erasmus+ KA131', allocatedCents: 4_000_000, allocatedMobilities: 8 },
        { lineId: 'region', funder: 'Région Auvergne-Rhône-Alpes', allocatedCents: 1_000_000, allocatedMobilities: 4 },
      ],
    });
    log(`demo: project ${projectId} registered (funder lines erasmus, region)`);
    const ids: string[] = [];
    for (const m of list) {
      const mobilityId = mobilityIdOf(m.n);
      ids.push(mobilityId);
      try {
        await startMobility(client, cfg.temporal.taskQueue, {
          ...m.app, mobilityId, projectId, institutionId: DEMO_INSTITUTION, consortiumId: DEMO_CONSORTIUM,
          participantRef: m.participantRef, actor: ACTOR, funderLineId: m.app.funderLineId ?? (m.n % 2 === 0 ? 'region' : 'erasmus'),
        });
      } catch (err) {
        if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
        log(`demo: ${mobilityId} already exists (kept from an earlier run)`);
        continue;
      }
      const h = mobility(client, mobilityId);
      let stage = 'applied';
      for (const [name, payload] of m.steps) {
        // The report is invited by the workflow's own timer the day after the actual end date:
        // like a participant, the demo answers once the invitation has gone out.
        if (name === 'recordReportSubmitted') await untilInvited(h);
        // A deterministic update id: rerunning the demo never applies a step twice.
        stage = (await h.act(name as never, payload as never, `${mobilityId}:demo:${name}:${m.steps.findIndex((s) => s[1] === payload)}`)).stage;
      }
      log(`demo: ${mobilityId} ${m.app.activity} → ${stage}`);
    }
    return ids;
  } finally {
    await pool.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cfg = loadConfig();
  const client = await connectTemporal(cfg);
  await runDemo(cfg, client);
  await client.connection.close();
}
