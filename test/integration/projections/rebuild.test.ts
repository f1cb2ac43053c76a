import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../../infra/config';
import { createPool } from '../../../infra/db/pool';
import { createPublisher } from '../../../infra/kafka/client';
import { TOPICS } from '../../../infra/kafka/topics';
import { ALL_PROJECTIONS, startProjector } from '../../../workers/projector';
import { testConfig, uniq } from '../../support/env';
import { caughtUp, publishStream, snapshot } from './support';
import { asMessage, generateStream } from './stream';

/**
 * `npm run projections:rebuild` empties the projections and refolds them from offset 0 of the
 * topics: the rebuilt tables equal the live ones row for row, and the live projector then
 * carries on from the rebuilt positions without counting anything twice.
 */
const cfg = testConfig();
const pool = createPool(cfg);
const names = ALL_PROJECTIONS.map((p) => p.name);
const TABLES = ALL_PROJECTIONS.flatMap((p) => p.tables ?? []);

afterAll(async () => {
  await pool.end();
});

describe('projections:rebuild', () => {
  it('refolds the projections from the start of the topics into the same rows as the live ones', { timeout: 180_000 }, async () => {
    const pub = await createPublisher(cfg, 'rebuild-test');
    const stream = generateStream(23, uniq(), 30, 2);
    await publishStream(pub, stream);
    // A poison message (a NUL in its type) that the live projector quarantines: the rebuild leaves it out too.
    const poison = generateStream(24, uniq(), 1, 1).mobilityEvents[0]!;
    await pub.publish(TOPICS.mobilityEvents.name, [asMessage({ ...poison, type: 'Application\u0000Submitted' })]);
    const live = await startProjector(cfg, pool, ALL_PROJECTIONS, { groupId: `projector-rebuild-${uniq()}` });
    await caughtUp(cfg, pool, names, 90_000);
    await live.stop();
    const before = await snapshot(pool, TABLES);
    expect(before.budget_mobilities!.length).toBeGreaterThan(0);
    const views = async () => (await pool.query('SELECT * FROM budget_line_totals ORDER BY project_id, funder_line_id')).rows;
    const totalsBefore = await views();

    const run = spawnSync('npm', ['run', '-s', 'projections:rebuild'], { cwd: ROOT, env: process.env, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!) as { applied: number; events: number; projections: string[] };
    expect(report.projections).toEqual(names);
    expect(report.applied).toBeGreaterThan(0);

    const after = await snapshot(pool, TABLES);
    for (const t of TABLES) expect(after[t], t).toEqual(before[t]);
    expect(await views()).toEqual(totalsBefore);

    // The live projector resumes after the rebuilt positions: new events count once, old ones not again.
    const more = generateStream(29, uniq(), 5, 1);
    await publishStream(pub, more);
    await publishStream(pub, stream);
    const resumed = await startProjector(cfg, pool, ALL_PROJECTIONS, { groupId: `projector-rebuild-${uniq()}` });
    await caughtUp(cfg, pool, names, 90_000);
    await resumed.stop();
    await pub.close();
    const totalsAfter = (await views()).filter((r) => !r.project_id.startsWith(more.projects[0]!.projectId));
    expect(totalsAfter).toEqual(totalsBefore);
    const { rows: [n] } = await pool.query('SELECT count(*)::int AS n FROM budget_mobilities WHERE project_id = $1', [more.projects[0]!.projectId]);
    expect(n.n).toBe(5);
  });
});
