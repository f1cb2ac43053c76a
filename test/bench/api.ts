import type { Config } from '../../infra/config';
import { createPool } from '../../infra/db/pool';
import { connectTemporal } from '../../infra/temporal';
import { buildApp } from '../../workers/api/app';
import { DEMO_ACCOUNTS, seedDemoTenancy } from '../../workers/api/demo';
import { figure, type Figure } from './lib';

/**
 * Operations API throughput on the real Postgres, over HTTP on loopback, 8 requests in flight:
 * an authenticated, tenant-filtered mobility list (session lookup + directory load + scoped SQL)
 * and a login (scrypt), each against the unauthenticated /health in the same run.
 */
export async function apiBench(cfg: Config): Promise<Figure[]> {
  const pool = createPool(cfg, 10);
  const temporal = await connectTemporal(cfg);
  await seedDemoTenancy(pool);
  // Some rows to filter: 2 000 console records across the demo institutions (no workflows needed for the list).
  const insts = ['F-LYON-003', 'F-GRENOB-002', 'F-CLERMO-004', 'F-PARIS-001'];
  await pool.query(
    `INSERT INTO console_mobilities (mobility_id, project_id, institution_id, consortium_id, site_id, activity, submitted_by)
     SELECT 'BENCH-PROJECT-MOB-' || lpad(i::text, 5, '0'), 'BENCH-PROJECT', ($1::text[])[1 + i % 4], CASE WHEN i % 4 < 3 THEN 'CONS-AURA-DEMO' END, NULL, 'HE-SMS', 'bench'
       FROM generate_series(1, 2000) i ON CONFLICT DO NOTHING`, [insts]);
  const { app } = await buildApp({ pool, temporal, taskQueue: cfg.temporal.taskQueue });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const lyon = DEMO_ACCOUNTS.find((a) => a.username === 'lyon')!;
  const login = () => fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: lyon.username, password: lyon.password }) });
  const token = ((await (await login()).json()) as { token: string }).token;

  const rate = async (n: number, call: () => Promise<Response>) => {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next++ < n) {
        const r = await call();
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        await r.arrayBuffer();
      }
    }));
    return n / ((performance.now() - t0) / 1000);
  };
  try {
    await rate(200, () => fetch(`${base}/health`)); // warm-up
    const health = await rate(2000, () => fetch(`${base}/health`));
    const list = await rate(500, () => fetch(`${base}/api/mobilities?limit=50`, { headers: { authorization: `Bearer ${token}` } }));
    const logins = await rate(40, login);
    return [
      figure({ id: 'api-list', figure: 'API: GET /api/mobilities (session, scoped, 2,000 rows), requests/s', unit: 'requests/s', engineRuns: [list], baselineName: 'GET /health (no session)', baselineRuns: [health], higherIsBetter: true }),
      figure({ id: 'api-login', figure: 'API: POST /api/login (scrypt N=16384), logins/s', unit: 'logins/s', engineRuns: [logins], baselineName: 'GET /health (no session)', baselineRuns: [health], higherIsBetter: true }),
    ];
  } finally {
    await app.close();
    await pool.query(`DELETE FROM console_mobilities WHERE project_id = 'BENCH-PROJECT'`);
    await temporal.connection.close();
    await pool.end();
  }
}
