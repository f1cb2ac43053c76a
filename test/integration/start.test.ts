import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, ROOT } from '../../infra/config';
import { createPool } from '../../infra/db/pool';
import { stackDown, stackStatus } from '../../infra/stack';
import { connectTemporal } from '../../infra/temporal';
import { DEMO_PROJECT } from '../../bin/demo';
import { eventually, uniq } from '../support/env';

/**
 * `npm start` as a new user runs it: on a stack of its own (own ports, own data directory) it
 * starts everything, feeds the demo, says where to look, and Ctrl-C stops what it started.
 */
const env = { ...process.env, ME_PROFILE: 'dev' as const, ME_PORT_OFFSET: '900', ME_DATA_DIR: join(ROOT, '.data', `start-${uniq()}`), ME_DEMO_COUNT: '24' };
const cfg = loadConfig(env);

afterAll(async () => {
  await stackDown(cfg, undefined, () => undefined);
  rmSync(cfg.dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('starts the stack, worker, projector and demo, then stops everything on Ctrl-C', { timeout: 400_000 }, async () => {
    const proc = spawn(process.execPath, [join(ROOT, 'infra/cli/run.mjs'), 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await eventually(async () => out.includes('\nready'), 300_000, `"ready" from npm start; output so far:\n${out}`);

    expect(out).toContain(cfg.temporal.uiUrl);
    expect(out).toContain('mobility-events');
    expect(out).toContain(cfg.postgres.url);

    // The demo's mobilities are running workflows and their events reached Postgres.
    const client = await connectTemporal(cfg);
    const pool = createPool(cfg, 2);
    try {
      // Closed mobilities (recognised, rejected…) have completed their workflows; the others wait on theirs.
      const status = new Map<string, number>();
      for await (const w of client.workflow.list({ query: `ProjectId = '${DEMO_PROJECT}' AND WorkflowType = 'mobilityWorkflow'` })) status.set(w.status.name, (status.get(w.status.name) ?? 0) + 1);
      expect(status.get('COMPLETED') ?? 0).toBeGreaterThan(0);
      expect(status.get('RUNNING') ?? 0).toBeGreaterThan(0);
      const rows = await eventually(async () => {
        const r = await pool.query('SELECT mobility_id FROM mobility_applications WHERE project_id = $1 ORDER BY mobility_id', [DEMO_PROJECT]);
        return r.rowCount! >= 6 ? r.rows : undefined;
      }, 60_000, 'demo rows projected');
      expect(rows[0]!.mobility_id).toBe(`${DEMO_PROJECT}-MOB-00001`);
    } finally {
      await pool.end();
      await client.connection.close();
    }

    proc.kill('SIGINT');
    const code = await new Promise<number | null>((r) => proc.once('exit', r));
    expect(code).toBe(0);
    expect((await stackStatus(cfg)).filter((s) => s.running).map((s) => s.name)).toEqual([]);
  });
});
