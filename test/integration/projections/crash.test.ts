import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../../infra/config';
import { createPool } from '../../../infra/db/pool';
import { createPublisher } from '../../../infra/kafka/client';
import { ALL_PROJECTIONS } from '../../../workers/projector';
import { testConfig, uniq } from '../../support/env';
import { caughtUp, lag, publishStream } from './support';
import { expectedLineTotals, generateStream } from './stream';

/**
 * The projector process (workers/projector.ts, as `npm run projector` runs it) is SIGKILLed in the
 * middle of a batch transaction, then started again: it resumes from the positions stored with its
 * last committed batch and ends with the same totals as if nothing had happened.
 */
const cfg = testConfig();
const pool = createPool(cfg);
const names = ALL_PROJECTIONS.map((p) => p.name);

afterAll(async () => {
  await pool.end();
});

function runProjector(env: Record<string, string>): { exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; kill: () => void; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'workers', 'projector.ts')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return { exited, kill: () => child.kill('SIGTERM'), output: () => out };
}

describe('a projector killed mid-batch', () => {
  it('resumes from its stored positions with the same totals', { timeout: 180_000 }, async () => {
    // Start from a caught-up state so the kill lands inside this test's events.
    const first = runProjector({ PROJECTOR_GROUP_ID: `projector-crash-${uniq()}` });
    await caughtUp(cfg, pool, names, 90_000);
    first.kill();
    await first.exited;

    const tag = uniq();
    const stream = generateStream(11, tag, 60, 1);
    const pub = await createPublisher(cfg, 'crash-test');
    await publishStream(pub, stream);
    await pub.close();
    const total = await lag(cfg, pool, names);
    expect(total).toBeGreaterThan(stream.mobilityEvents.length);

    const killed = runProjector({ PROJECTOR_GROUP_ID: `projector-crash-${uniq()}`, PROJECTOR_KILL_AFTER_EVENTS: String(Math.floor(stream.mobilityEvents.length * 1.2)), PROJECTOR_FETCH_BYTES: '65536' });
    const { signal } = await killed.exited;
    expect(signal, killed.output()).toBe('SIGKILL');
    // Part of the stream was committed before the kill, the batch in flight was not.
    const left = await lag(cfg, pool, names);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(total);

    const again = runProjector({ PROJECTOR_GROUP_ID: `projector-crash-${uniq()}` });
    await caughtUp(cfg, pool, names, 90_000);
    again.kill();
    expect((await again.exited).code).toBe(0);

    const project = stream.projects[0]!;
    const expected = expectedLineTotals(stream);
    const rows = (await pool.query('SELECT * FROM budget_line_totals WHERE project_id = $1', [project.projectId])).rows;
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const want = expected.get(`${project.projectId}|${row.funder_line_id}`)!;
      expect({ committed: row.committed_cents, paid: row.paid_cents, recovered: row.recovered_cents, prefinanced: row.prefinanced_cents, used: row.mobilities_used })
        .toEqual({ committed: want.committed, paid: want.paid, recovered: want.recovered, prefinanced: want.prefinanced, used: want.used });
    }
    const { rows: [q] } = await pool.query('SELECT reports_submitted, ols_assessments FROM quality_by_project WHERE scope_id = $1', [project.projectId]);
    const count = (type: string) => stream.mobilityEvents.filter((e) => e.type === type).length;
    expect(q).toEqual({ reports_submitted: count('ParticipantReportSubmitted'), ols_assessments: count('OlsAssessmentRecorded') });
  });
});
