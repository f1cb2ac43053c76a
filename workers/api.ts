import { fileURLToPath } from 'node:url';
import { loadConfig } from '../infra/config';
import { createPool } from '../infra/db/pool';
import { createLogger, errorFields } from '../infra/log';
import { connectTemporal } from '../infra/temporal';
import { buildApp } from './api/app';
import { seedDemoTenancy } from './api/demo';
import { HealthMonitor } from './api/health';
import { ALL_PROJECTIONS } from './projector';

export { buildApp } from './api/app';
export { seedDemoTenancy, DEMO_ACCOUNTS, DEMO_DIRECTORY } from './api/demo';

/**
 * The operations console and HTTP API on cfg.console.port (npm start and docker compose launch it).
 * In the dev profile, an empty staff table is seeded with the demo directory and accounts
 * (workers/api/README.md). It starts whatever is down (Temporal, Postgres, Kafka): /ready says
 * what is missing and the requests that need it are answered 503 until it is back. Structured
 * logs (pino, with each request's id) on standard output.
 */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cfg = loadConfig();
  const log = createLogger('api', cfg.logLevel);
  process.on('unhandledRejection', (err) => log.error(errorFields(err), 'unhandled rejection'));
  const pool = createPool(cfg, 10, { log, connectionTimeoutMillis: 3_000 });
  const temporal = await connectTemporal(cfg, { lazy: true });
  const health = new HealthMonitor({ pool, temporal, cfg, projections: ALL_PROJECTIONS.map((p) => p.name) }).start();
  const seed = async (): Promise<void> => {
    if (cfg.profile !== 'dev') return;
    try {
      if ((await pool.query('SELECT count(*)::int AS n FROM staff_users')).rows[0].n === 0) {
        const accounts = await seedDemoTenancy(pool);
        log.info({ accounts: accounts.map((a) => a.username) }, 'demo accounts seeded (password demo-<username>)');
        console.log(`console: demo accounts seeded (${accounts.map((a) => a.username).join(', ')}; password demo-<username>)`);
      }
    } catch (err) {
      log.warn(errorFields(err), 'demo accounts not seeded yet (database unavailable?); trying again in 5 s');
      setTimeout(() => void seed(), 5_000).unref();
    }
  };
  await seed();
  const { app } = await buildApp({ pool, temporal, taskQueue: cfg.temporal.taskQueue, logger: log, health, temporalDeadlineMs: cfg.api.temporalDeadlineMs });
  // Loopback unless told otherwise (docker compose sets ME_CONSOLE_HOST=0.0.0.0 to publish the port).
  const host = cfg.console.listenHost;
  try {
    await app.listen({ port: cfg.console.port, host });
  } catch (err) {
    log.fatal(errorFields(err), `cannot listen on ${host}:${cfg.console.port}`);
    process.exit(1);
  }
  log.info({ url: cfg.console.url }, 'api listening');
  console.log(`console: ${cfg.console.url}`);
  const stop = async () => {
    await app.close().catch(() => undefined);
    await health.stop();
    await temporal.connection.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
