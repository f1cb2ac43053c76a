/**
 * Lifecycle throughput on the real path: the Temporal dev server as `npm start` runs it (WAL
 * pragmas), the engine's worker process, Kafka, Postgres and the projector. N mobilities, C at a
 * time, each from application to recognition through workflows/client.ts, against a raw workflow
 * (raw/workflows.ts) that takes the same Updates with the same payloads and runs the same number
 * of activities (no-ops), on its own worker process. Each run starts on a fresh Temporal server.
 * During the engine's runs the lag from each Update's answer to its projection row is sampled.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import proto from '@temporalio/proto';
import type pg from 'pg';
import { addDays } from '../../domain/dates';
import type { Config } from '../../infra/config';
import { connectTemporal } from '../../infra/temporal';
import { budgetWorkflowId } from '../../workflows/budget-messages';
import { mobility, registerProject, startMobility } from '../../workflows/client';
import type { PayloadOf, StartMobilityInput, UpdateName } from '../../workflows/messages';
import { KA131_TERMS } from '../integration/api/support';
import { addContacts, erasmusLine, newProject, studyApplication, today } from '../integration/workflow/fixtures';
import { cpuMeter, diskUsage, type EngineProcess, freshTemporal, percentile, pool as inParallel, progress, say, sleep, stackPids, startProcess, startWorker } from './lib';
import type { RawLifecycleInput } from './raw/workflows';

const STAFF = { actor: 'staff.bench' };

/** A projection row that shows an Update's effect (quality_mobilities q joined with budget_mobilities b). */
type Row = { stage_rank: number; ols_before: boolean; ols_after: boolean; report_submitted: boolean; transcript_received: boolean; recognition_outcome: string | null; selected: boolean | null; agreed: boolean | null; certified: boolean | null };

interface Step {
  name: UpdateName;
  payload: (app: StartMobilityInput, on: string) => Record<string, unknown>;
  /** When the projections show this Update's effect. */
  visible: (r: Row) => boolean;
}

/** Application → recognition: nine staff Updates, as the operations console sends them. */
export const STEPS: Step[] = [
  { name: 'select', payload: () => ({}), visible: (r) => r.selected === true },
  { name: 'recordOlsAssessment', payload: () => ({ phase: 'before', language: 'de', level: 'B1' }), visible: (r) => r.ols_before },
  { name: 'signAgreement', payload: (a) => ({ participantSignedOn: addDays(a.plan.startDate, -30), institutionSignedOn: addDays(a.plan.startDate, -29) }), visible: (r) => r.agreed === true },
  { name: 'confirmDeparture', payload: (a) => ({ actualStartDate: a.plan.startDate }), visible: (r) => r.stage_rank >= 50 },
  { name: 'recordCertificateOfAttendance', payload: (a) => ({ actualStartDate: a.plan.startDate, actualEndDate: a.plan.endDate }), visible: (r) => r.certified === true },
  // The transcript and the second OLS before the report: meanwhile the workflow invites the participant.
  { name: 'recordTranscriptOfRecords', payload: (_a, on) => ({ receivedOn: on, ects: 30 }), visible: (r) => r.transcript_received },
  { name: 'recordOlsAssessment', payload: () => ({ phase: 'after', language: 'de', level: 'B2' }), visible: (r) => r.ols_after },
  { name: 'recordReportSubmitted', payload: (_a, on) => ({ submittedOn: on }), visible: (r) => r.report_submitted },
  { name: 'recordRecognition', payload: () => ({ outcome: 'full', recognisedEcts: 30 }), visible: (r) => r.recognition_outcome !== null },
];

/**
 * Samples, every few ms, the projection rows of the mobilities whose last Update is not visible yet,
 * and records how long after the Update's answer each became visible.
 */
class LagProbe {
  private readonly waiting = new Map<string, { t0: number; visible: (r: Row) => boolean }[]>();
  readonly samples: number[] = [];
  private running = true;
  private readonly loop: Promise<void>;
  constructor(private readonly db: pg.Pool) {
    this.loop = this.run();
  }
  expect(mobilityId: string, t0: number, visible: (r: Row) => boolean) {
    const list = this.waiting.get(mobilityId) ?? [];
    list.push({ t0, visible });
    this.waiting.set(mobilityId, list);
  }
  private async run() {
    while (this.running || this.waiting.size > 0) {
      const ids = [...this.waiting.keys()];
      if (ids.length > 0) {
        const rows = (await this.db.query<Row & { mobility_id: string }>(
          `SELECT q.mobility_id, q.stage_rank, q.ols_before, q.ols_after, q.report_submitted, q.transcript_received, q.recognition_outcome, b.selected, b.agreed, b.certified
             FROM quality_mobilities q LEFT JOIN budget_mobilities b USING (mobility_id) WHERE q.mobility_id = ANY($1)`, [ids])).rows;
        const now = performance.now();
        for (const r of rows) {
          const left = this.waiting.get(r.mobility_id)!.filter((w) => {
            if (!w.visible(r)) return true;
            this.samples.push(now - w.t0);
            return false;
          });
          if (left.length === 0) this.waiting.delete(r.mobility_id);
          else this.waiting.set(r.mobility_id, left);
        }
      }
      if (!this.running && performance.now() > this.deadline) break;
      await sleep(10);
    }
  }
  private deadline = Infinity;
  /** Waits (at most `ms`) for what is still expected, then stops; returns how many never showed. */
  async stop(ms = 60_000): Promise<number> {
    this.deadline = performance.now() + ms;
    this.running = false;
    await this.loop;
    return [...this.waiting.values()].reduce((s, l) => s + l.length, 0);
  }
}

export interface LifecycleRun {
  kind: 'engine' | 'raw' | 'raw (local activities)';
  lifecycles: number;
  wallS: number;
  perSecond: number;
  updates: number;
  updateMs: number[];
  /** Updates refused because the workflow had not yet done what must come first (sent again). */
  retries: number;
  cpu: Record<string, number>;
  events?: number;
  lagMs?: number[];
  lagMissing?: number;
  /** Bytes each lifecycle adds: Temporal's SQLite files (fresh per run), Kafka's logs, the engine's database. */
  diskBytesPerLifecycle?: { temporal: number; kafka: number; postgres: number };
}

/** The shape of one engine lifecycle, read from histories: what the raw baseline must match. */
export interface LifecycleShape {
  historyEvents: number;
  workflowTasks: number;
  activities: number;
  activitiesByType: Record<string, number>;
  /** Events per publishEvents call, in order (one lifecycle). */
  publishSizes: number[];
  /** The budget guard's share per lifecycle. */
  guard: { historyEvents: number; workflowTasks: number; activities: number };
}

const ET = proto.temporal.api.enums.v1.EventType;

async function shapeOf(client: Client, mobilityIds: string[], projectIds: string[], perProject: number): Promise<LifecycleShape> {
  const count = (h: proto.temporal.api.history.v1.IHistory) => {
    const events = h.events ?? [];
    const scheduled = events.filter((e) => e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    // Local activities run inside the workflow task and leave one marker each (sdk-core's "core_local_activity").
    const local = events.filter((e) => e.eventType === ET.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    return {
      local,
      events: events.length,
      tasks: events.filter((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length,
      scheduled,
    };
  };
  const byType: Record<string, number> = {};
  let historyEvents = 0;
  let tasks = 0;
  let activities = 0;
  let publishSizes: number[] = [];
  for (const id of mobilityIds) {
    const c = count(await client.workflow.getHandle(id).fetchHistory());
    historyEvents += c.events;
    tasks += c.tasks;
    activities += c.scheduled.length + c.local.length;
    if (c.local.length > 0) byType['(local activities)'] = (byType['(local activities)'] ?? 0) + c.local.length;
    const sizes: number[] = [];
    for (const e of c.scheduled) {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      byType[name] = (byType[name] ?? 0) + 1;
      if (name === 'publishEvents') {
        const data = e.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data;
        sizes.push(data ? (JSON.parse(Buffer.from(data).toString('utf8')) as unknown[]).length : 0);
      }
    }
    if (publishSizes.length === 0) publishSizes = sizes;
  }
  const n = mobilityIds.length;
  const guard = { historyEvents: 0, workflowTasks: 0, activities: 0 };
  for (const p of projectIds) {
    const c = count(await client.workflow.getHandle(budgetWorkflowId(p)).fetchHistory());
    guard.historyEvents += c.events / perProject;
    guard.workflowTasks += c.tasks / perProject;
    guard.activities += c.scheduled.length / perProject;
  }
  for (const k of Object.keys(byType)) byType[k] = byType[k]! / n;
  const m = projectIds.length;
  return {
    historyEvents: historyEvents / n, workflowTasks: tasks / n, activities: activities / n, activitiesByType: byType, publishSizes,
    guard: { historyEvents: guard.historyEvents / m, workflowTasks: guard.workflowTasks / m, activities: guard.activities / m },
  };
}

/** Applications dated so that the mobility ended yesterday: the whole lifecycle can be recorded now. */
function plan(n: number, perProject: number) {
  const from = addDays(today(), -190);
  const projects: { projectId: string; ids: string[] }[] = [];
  const apps: StartMobilityInput[] = [];
  for (let i = 0; i < n; i++) {
    if (i % perProject === 0) projects.push({ projectId: newProject().projectId, ids: [] });
    const p = projects[projects.length - 1]!;
    const id = `${p.projectId}-MOB-${String(p.ids.length + 1).padStart(5, '0')}`;
    p.ids.push(id);
    apps.push(studyApplication(id, p.projectId, from, { months: 5 }));
  }
  return { projects, apps };
}

const isNotYet = (err: unknown) => err instanceof WorkflowUpdateFailedError && /not-invited|invitation/i.test(`${(err.cause as { type?: string })?.type ?? ''} ${err.cause?.message ?? ''}`);

/** N engine lifecycles, C at a time, on a fresh Temporal server and a fresh worker process. */
export async function engineRun(cfg: Config, db: pg.Pool, projector: EngineProcess, n: number, concurrency: number, perProject: number, label: string): Promise<{ run: LifecycleRun; shape: LifecycleShape }> {
  await freshTemporal(cfg);
  const taskQueue = `bench-engine-${Date.now().toString(36)}`;
  const worker = await startWorker(cfg, taskQueue);
  const client = await connectTemporal(cfg);
  try {
    const { projects, apps } = plan(n, perProject);
    for (const p of projects) {
      await registerProject(client, taskQueue, { projectId: p.projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(1_000_000_000, perProject), terms: KA131_TERMS as never });
    }
    for (const a of apps) await addContacts(db, a.participantRef);
    // One lifecycle first (not timed): the worker's caches and the Kafka producer are warm, as in a running engine.
    const warm = plan(1, 1);
    await registerProject(client, taskQueue, { projectId: warm.projects[0]!.projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(1_000_000_000, 1), terms: KA131_TERMS as never });
    await addContacts(db, warm.apps[0]!.participantRef);
    await engineLifecycle(client, taskQueue, warm.apps[0]!, null, [], { retries: 0 });
    const diskBefore = await diskUsage(cfg, db);
    const lag = new LagProbe(db);
    const meter = cpuMeter({ ...stackPids(cfg), worker: () => [worker.pid], projector: () => [projector.pid], client: () => [process.pid] });
    const updateMs: number[] = [];
    const counters = { retries: 0 };
    const bar = progress(label, n);
    let done = 0;
    const t0 = performance.now();
    const results = await inParallel(n, concurrency, async (i) => {
      const r = await engineLifecycle(client, taskQueue, apps[i]!, lag, updateMs, counters);
      bar.tick(++done);
      return r;
    });
    const wallS = (performance.now() - t0) / 1000;
    const { cpu } = meter.read();
    bar.done();
    const lagMissing = await lag.stop();
    const diskAfter = await diskUsage(cfg, db);
    const disk = { temporal: diskAfter.temporal / n, kafka: (diskAfter.kafka - diskBefore.kafka) / n, postgres: (diskAfter.postgres - diskBefore.postgres) / n };
    const shape = await shapeOf(client, apps.slice(0, 3).map((a) => a.mobilityId), projects.slice(0, 1).map((p) => p.projectId), Math.min(perProject, n));
    return {
      run: { kind: 'engine', lifecycles: n, wallS, perSecond: n / wallS, updates: updateMs.length, updateMs, retries: counters.retries, cpu, events: results.reduce((s, r) => s + r, 0), lagMs: lag.samples, lagMissing, diskBytesPerLifecycle: disk },
      shape,
    };
  } finally {
    await client.connection.close();
    await worker.stop();
  }
}

async function engineLifecycle(client: Client, taskQueue: string, app: StartMobilityInput, lag: LagProbe | null, updateMs: number[], counters: { retries: number }): Promise<number> {
  await startMobility(client, taskQueue, app);
  const m = mobility(client, app.mobilityId);
  const on = today();
  for (const step of STEPS) {
    const payload = { ...STAFF, ...step.payload(app, on) } as PayloadOf<typeof step.name>;
    for (;;) {
      const t = performance.now();
      try {
        await m.act(step.name, payload as never);
        updateMs.push(performance.now() - t);
        lag?.expect(app.mobilityId, performance.now(), step.visible);
        break;
      } catch (err) {
        // The workflow invites the participant by itself after the certificate, when no Update holds
        // its lock: a report recorded before that is refused, and sent again as a client would.
        if (!isNotYet(err)) throw err;
        counters.retries++;
        await sleep(100);
      }
    }
  }
  const result = await m.handle.result();
  if (result.stage !== 'recognised') throw new Error(`${app.mobilityId} ended at ${result.stage}`);
  return result.eventsRecorded;
}

/** N raw lifecycles with the engine's Updates and number of activities, on a fresh Temporal server and the raw worker. */
export async function rawRun(cfg: Config, n: number, concurrency: number, shape: LifecycleShape, label: string, local = false): Promise<LifecycleRun> {
  await freshTemporal(cfg);
  const taskQueue = `bench-raw-${Date.now().toString(36)}`;
  const worker = await startProcess(cfg, 'test/bench/raw/worker.ts', { ME_TASK_QUEUE: taskQueue }, /raw worker running/);
  const client = await connectTemporal(cfg);
  try {
    const input = { ...rawInput(shape), local };
    const { apps } = plan(n + 1, n + 1);
    await rawLifecycle(client, taskQueue, apps[n]!, input, []); // warm-up, not timed
    const meter = cpuMeter({ ...stackPids(cfg), worker: () => [worker.pid], client: () => [process.pid] });
    const updateMs: number[] = [];
    const bar = progress(label, n);
    let done = 0;
    const t0 = performance.now();
    await inParallel(n, concurrency, async (i) => {
      await rawLifecycle(client, taskQueue, apps[i]!, input, updateMs);
      bar.tick(++done);
    });
    const wallS = (performance.now() - t0) / 1000;
    const { cpu } = meter.read();
    bar.done();
    return { kind: local ? 'raw (local activities)' : 'raw', lifecycles: n, wallS, perSecond: n / wallS, updates: updateMs.length, updateMs, retries: 0, cpu };
  } finally {
    await client.connection.close();
    await worker.stop();
  }
}

/** The raw workflow's plan: the engine's activity count, one at the start, the rest spread over the Updates. */
export function rawInput(shape: LifecycleShape): Omit<RawLifecycleInput, 'application'> {
  const total = Math.max(1, Math.round(shape.activities));
  const spread = total - 1;
  const k = STEPS.length;
  return { updates: STEPS.map((s) => s.name), atStart: 1, perUpdate: STEPS.map((_, i) => Math.floor(spread / k) + (i < spread % k ? 1 : 0)) };
}

async function rawLifecycle(client: Client, taskQueue: string, app: StartMobilityInput, input: Omit<RawLifecycleInput, 'application'>, updateMs: number[]): Promise<void> {
  const handle: WorkflowHandle = await client.workflow.start('rawLifecycle', { taskQueue, workflowId: app.mobilityId, args: [{ ...input, application: app }] });
  const on = today();
  for (const step of STEPS) {
    const t = performance.now();
    await handle.executeUpdate(step.name, { args: [{ ...STAFF, ...step.payload(app, on) }] });
    updateMs.push(performance.now() - t);
  }
  await handle.result();
}

export const describeRun = (r: LifecycleRun): string => {
  const total = Object.values(r.cpu).reduce((s, v) => s + v, 0);
  const per = Object.entries(r.cpu).map(([k, v]) => `${k} ${(v / r.lifecycles).toFixed(0)}`).join(', ');
  const disk = r.diskBytesPerLifecycle ? `; disk per lifecycle: Temporal ${(r.diskBytesPerLifecycle.temporal / 1024).toFixed(0)} KiB, Kafka ${(r.diskBytesPerLifecycle.kafka / 1024).toFixed(0)} KiB, Postgres ${(r.diskBytesPerLifecycle.postgres / 1024).toFixed(0)} KiB` : '';
  return `${r.kind}: ${r.lifecycles} in ${r.wallS.toFixed(1)} s = ${r.perSecond.toFixed(2)}/s; Update p50 ${percentile(r.updateMs, 50).toFixed(0)} ms, p99 ${percentile(r.updateMs, 99).toFixed(0)} ms${r.retries ? ` (${r.retries} early Updates sent again)` : ''}; CPU ms per lifecycle: ${per} (total ${(total / r.lifecycles).toFixed(0)}, ${(total / r.wallS / 1000).toFixed(2)} cores busy)${disk}`;
};

export { say };
