import { rmSync } from 'node:fs';
import type { Config } from '../config';
import { migrate } from '../db/migrate';
import { ensureSigningKeys } from '../kafka/signing';
import { ensureAcls, ensureTopics } from '../kafka/topics';
import { kafkaService } from './kafka';
import { mailService } from './mail';
import { postgresService } from './postgres';
import { portOpen, StackError, tail, waitFor } from './proc';
import type { Service } from './service';
import { temporalService } from './temporal';

export { StackError } from './proc';

export const services = (cfg: Config): Service[] => [temporalService(cfg), kafkaService(cfg), postgresService(cfg), mailService(cfg)];

type Log = (line: string) => void;

/**
 * Bring the whole local stack up: install what is missing (cached under ~/.cache), start what is
 * not running, wait for health, migrate the database and create the topics. Idempotent.
 * Returns the names of the services this call started (the caller stops only those).
 * On any failure, stops what this call started and throws a StackError naming cause and fix.
 */
export async function stackUp(cfg: Config, log: Log = console.log): Promise<{ started: string[] }> {
  const all = services(cfg);
  const toStart: Service[] = [];
  for (const s of all) {
    if (s.running()) continue;
    for (const port of s.ports) {
      if (await portOpen(cfg.host, port)) {
        throw new StackError(s.name, `port ${cfg.host}:${port} is already taken by another process`, `stop that process, or choose other ports (ME_*_PORT variables, see infra/config.ts) or another profile (ME_PROFILE=dev|test)`);
      }
    }
    toStart.push(s);
  }
  const started: Service[] = [];
  try {
    await Promise.all(toStart.map((s) => s.install(log)));
    await Promise.all(
      toStart.map(async (s) => {
        const t0 = Date.now();
        started.push(s);
        await s.start();
        let exited = false;
        const ok = await waitFor(s.name, async () => {
          if (!s.running()) {
            exited = true;
            return true;
          }
          return s.healthy();
        }, s.startTimeoutMs, 250);
        if (exited || !ok) {
          const what = exited ? 'exited during start-up' : `did not become healthy within ${s.startTimeoutMs / 1000}s`;
          throw new StackError(s.name, `${what}; last lines of ${s.logFile}:\n${tail(s.logFile)}`, `read ${s.logFile}; \`npm run stack:down\` then \`npm run stack:up\` once the cause is fixed`);
        }
        log(`${s.name}: up in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      }),
    );
    for (const s of all) {
      if (!toStart.includes(s) && !(await waitFor(s.name, () => s.healthy(), s.startTimeoutMs, 250))) {
        throw new StackError(s.name, 'its process is running but it does not answer', `npm run stack:down, then npm run stack:up (log: ${s.logFile})`);
      }
    }
    await migrate(cfg.postgres.url, log);
    await ensureTopics(cfg);
    await ensureAcls(cfg);
    // The engine's event-signing key (infra/kafka/signing.ts): created once, kept under the data directory.
    ensureSigningKeys(cfg);
  } catch (err) {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    throw err;
  }
  return { started: started.map((s) => s.name) };
}

export async function stackDown(cfg: Config, only?: readonly string[], log: Log = console.log): Promise<void> {
  for (const s of services(cfg).reverse()) {
    if (only && !only.includes(s.name)) continue;
    if (s.running()) {
      await s.stop();
      log(`${s.name}: stopped`);
    }
  }
}

export async function stackStatus(cfg: Config): Promise<{ name: string; running: boolean; healthy: boolean; endpoints: string[] }[]> {
  return Promise.all(
    services(cfg).map(async (s) => {
      const running = s.running();
      const healthy = running ? await s.healthy().catch(() => false) : false;
      return { name: s.name, running, healthy, endpoints: s.endpoints() };
    }),
  );
}

/** Stops the stack and removes its state (every service's data directory). */
export async function stackReset(cfg: Config): Promise<void> {
  for (const s of services(cfg)) {
    await s.stop();
    rmSync(s.dataDir, { recursive: true, force: true });
  }
}

export function describeEndpoints(cfg: Config): string[] {
  return services(cfg).flatMap((s) => s.endpoints().map((e) => `  ${s.name.padEnd(9)} ${e}`));
}
