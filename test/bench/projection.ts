/**
 * Projection fold and rebuild against a raw set-based insert of the same rows.
 * - live fold: generated event streams (valid, as the domain's schemas define them) are published
 *   to the event topics while the projector process runs; events per second until it caught up;
 * - rebuild: `npm run projections:rebuild` (bin/projections-rebuild.ts, its own process) refolds
 *   everything in the topics from offset 0, dedupe and stored positions included; the rebuilt
 *   tables are compared with the live ones, row for row;
 * - raw: every message of the topics inserted as one row (event id, stream, sequence, type, JSON
 *   body) with `INSERT … SELECT unnest(…)`, 1,000 rows a statement, in one transaction.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type pg from 'pg';
import type { Config } from '../../infra/config';
import { createPublisher } from '../../infra/kafka/client';
import { readToEnd } from '../../infra/kafka/consumer';
import { EVENT_TOPICS } from '../../infra/kafka/topics';
import type { RebuildReport } from '../../workers/projections/rebuild';
import { ALL_PROJECTIONS } from '../../workers/projector';
import { generateStream } from '../integration/projections/stream';
import { lag, publishStream, snapshot } from '../integration/projections/support';
import { type EngineProcess, figure, type Figure, progress, say, sleep, startProjectorProcess } from './lib';

const NAMES = ALL_PROJECTIONS.map((p) => p.name);
const TABLES = ALL_PROJECTIONS.flatMap((p) => p.tables ?? []);

async function waitCaughtUp(cfg: Config, db: pg.Pool, total: number, label: string): Promise<void> {
  const bar = progress(label, total);
  for (;;) {
    const behind = await lag(cfg, db, NAMES);
    bar.tick(Math.max(0, total - Math.ceil(behind / NAMES.length)));
    if (behind === 0) break;
    await sleep(100);
  }
  bar.done();
}

function rebuildCli(cfg: Config): Promise<{ report: RebuildReport; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', join(cfg.root, 'bin', 'projections-rebuild.ts')], { cwd: cfg.root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`projections:rebuild exited ${code}: ${out.slice(-2000)}`));
      resolve({ report: JSON.parse(out.trim().split('\n').pop()!) as RebuildReport, wallMs });
    });
  });
}

interface RawRow { id: string; stream: string; seq: number; type: string; body: string }

async function rawInsert(db: pg.Pool, rows: RawRow[]): Promise<number> {
  const c = await db.connect();
  try {
    await c.query('DROP TABLE IF EXISTS bench_raw_events');
    await c.query('CREATE TABLE bench_raw_events (event_id text PRIMARY KEY, stream_id text NOT NULL, sequence integer NOT NULL, type text NOT NULL, body jsonb NOT NULL)');
    const t0 = performance.now();
    await c.query('BEGIN');
    for (let i = 0; i < rows.length; i += 1_000) {
      const b = rows.slice(i, i + 1_000);
      await c.query(
        `INSERT INTO bench_raw_events SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::jsonb[]) ON CONFLICT DO NOTHING`,
        [b.map((r) => r.id), b.map((r) => r.stream), b.map((r) => r.seq), b.map((r) => r.type), b.map((r) => r.body)],
      );
    }
    await c.query('COMMIT');
    const rate = rows.length / ((performance.now() - t0) / 1000);
    await c.query('DROP TABLE bench_raw_events');
    return rate;
  } finally {
    c.release();
  }
}

export async function projectionBench(cfg: Config, db: pg.Pool, projector: EngineProcess, events: number, repeat: number): Promise<{ projector: EngineProcess; figures: Figure[]; details: Record<string, unknown> }> {
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  // Live fold: generated streams published while the projector runs.
  if (events > 0) {
    const probe = generateStream(1, 'PROBE', 100, 1);
    const perMobility = probe.mobilityEvents.length / 100;
    const mobilities = Math.ceil(events / perMobility);
    const pub = await createPublisher(cfg, 'bench-load', 'admin');
    const tag = Date.now().toString(36).toUpperCase();
    let added = 0;
    const t0 = performance.now();
    const bar = progress('publishing generated streams', mobilities);
    for (let first = 0, k = 0; first < mobilities; first += 1_000, k++) {
      const n = Math.min(1_000, mobilities - first);
      const projects = Math.max(1, Math.ceil(n / 200));
      const s = generateStream(100 + k, `${tag}${k}`, Math.ceil(n / projects), projects);
      await publishStream(pub, s);
      added += s.mobilityEvents.length + s.projectEvents.length;
      bar.tick(first + n);
    }
    bar.done(`${added} events`);
    await pub.close();
    // The projector's own pace: what was still to fold when publishing ended, over the time it took.
    const t1 = performance.now();
    const behind = Math.ceil((await lag(cfg, db, NAMES)) / NAMES.length);
    await waitCaughtUp(cfg, db, added, 'live projector folding');
    const s = (performance.now() - t0) / 1000;
    const catchUp = (performance.now() - t1) / 1000;
    const rate = behind > added * 0.2 ? behind / catchUp : added / s;
    details.liveFold = { events: added, seconds: s, behindWhenPublished: behind, catchUpSeconds: catchUp };
    say(`  live fold: ${added} events published and folded in ${s.toFixed(1)} s; ${behind} were still to fold when publishing ended, folded in ${catchUp.toFixed(1)} s: ${rate.toFixed(0)} events/s`);
    figures.push(figure({ id: 'fold-live', figure: `live fold, Kafka → projector process → Postgres (${added.toLocaleString('en')} events, dedupe + positions)`, unit: 'events/s', engineRuns: [rate], higherIsBetter: true }));
  }
  await projector.stop();

  // Every message of the topics, as the raw baseline's rows.
  const rows: RawRow[] = [];
  await readToEnd(cfg, 'bench-read', EVENT_TOPICS, async (b) => {
    for (const m of b.messages) {
      const body = m.value?.toString('utf8') ?? '{}';
      const e = JSON.parse(body) as { eventId: string; mobilityId?: string; projectId: string; sequence: number; type: string };
      rows.push({ id: e.eventId, stream: e.mobilityId ?? e.projectId, seq: e.sequence, type: e.type, body });
    }
  });
  const live = await snapshot(db, TABLES);
  const rebuild: number[] = [];
  const raw: number[] = [];
  const reports: (RebuildReport & { wallMs: number })[] = [];
  // Each timed step starts with the database's dirty pages written out (what the step before left).
  const quiet = async () => {
    await db.query('CHECKPOINT');
    await sleep(1_000);
  };
  for (let r = 1; r <= repeat; r++) {
    await quiet();
    raw.push(await rawInsert(db, rows));
    say(`  raw INSERT … SELECT unnest: ${rows.length} rows at ${raw[raw.length - 1]!.toFixed(0)} rows/s`);
    await quiet();
    say(`  rebuild ${r}/${repeat}: npm run projections:rebuild over ${rows.length} messages…`);
    const { report, wallMs } = await rebuildCli(cfg);
    reports.push({ ...report, wallMs });
    rebuild.push(report.events / (report.ms / 1000));
    say(`    ${report.events} messages, ${report.applied} applied, ${report.duplicates} duplicates in ${report.ms} ms${report.startupMs !== undefined ? ` (first batch after ${report.startupMs} ms)` : ''}; the command took ${(wallMs / 1000).toFixed(1)} s`);
  }
  const rebuilt = await snapshot(db, TABLES);
  const differing = TABLES.filter((t) => JSON.stringify(rebuilt[t]) !== JSON.stringify(live[t]));
  if (differing.length > 0) throw new Error(`the rebuilt tables differ from the live ones: ${differing.join(', ')}`);
  say(`  rebuilt tables equal the live ones, row for row (${TABLES.length} tables, ${Object.values(live).reduce((s, t) => s + t.length, 0)} rows)`);
  details.rebuild = reports;
  figures.push(figure({ id: 'rebuild', figure: `projection rebuild, events/s (${rows.length.toLocaleString('en')} events, one transaction, dedupe + positions)`, unit: 'events/s', engineRuns: rebuild, baselineName: 'raw INSERT … SELECT unnest, 1,000 rows a statement, same rows', baselineRuns: raw, higherIsBetter: true, target: 0.25 }));
  const startup = reports.map((x) => x.startupMs).filter((x): x is number => x !== undefined);
  if (startup.length > 0) figures.push(figure({ id: 'rebuild-startup', figure: 'rebuild start-up: until its first batch (ms)', unit: 'ms', engineRuns: startup, higherIsBetter: false }));
  if (figures[0]?.id === 'fold-live') {
    figures[0] = figure({ ...figures[0], engineRuns: figures[0].engineRuns!, baselineName: 'raw INSERT … SELECT unnest, same run', baselineRuns: raw });
  }
  return { projector: await startProjectorProcess(cfg), figures, details };
}
