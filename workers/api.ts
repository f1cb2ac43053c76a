import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../infra/config';
import { createPool } from '../infra/db/pool';
import { connectTemporal } from '../infra/temporal';
import { buildApp } from './api/app';
import { seedDemoTenancy } from './api/demo';

export { buildApp } from './api/app';
export { seedDemoTenancy, DEMO_ACCOUNTS, DEMO_DIRECTORY } from './api/demo';

/**
 * The operations console and HTTP API on cfg.console.port (npm start and docker compose launch it).
 * In the dev profile, an empty staff table is seeded with the demo directory and accounts
 * (workers/api/README.md).
 */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cfg = loadConfig();
  const pool = createPool(cfg, 10);
  const temporal = await connectTemporal(cfg);
  if (cfg.profile === 'dev' && (await pool.query('SELECT count(*)::int AS n FROM staff_users')).rows[0].n === 0) {
    const accounts = await seedDemoTenancy(pool);
    console.log(`console: demo accounts seeded (${accounts.map((a) => a.username).join(', ')}; password demo-<username>)`);
  }
  const { app } = await buildApp({ pool, temporal, taskQueue: cfg.temporal.taskQueue });
  // In a container the port is published from outside; on a workstation stay on loopback.
  const host = existsSync('/.dockerenv') ? '0.0.0.0' : cfg.host;
  await app.listen({ port: cfg.console.port, host });
  console.log(`console: ${cfg.console.url}`);
  const stop = async () => {
    await app.close();
    await temporal.connection.close();
    await pool.end();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
