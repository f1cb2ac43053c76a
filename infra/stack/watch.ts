import type { Service } from './service';
import { sleep, waitFor } from './proc';

export interface ServiceEvent {
  service: string;
  event: 'down' | 'restarting' | 'back' | 'restart-failed' | 'not-answering' | 'answering';
  /** For 'back': how long the service was away, from the moment it was seen down (ms). */
  downMs?: number;
  error?: string;
}

/**
 * Watches the local services (Temporal, Kafka, Postgres, SMTP) while `npm start` runs: a service
 * whose process is gone is started again (with a back-off when starting fails) and waited for until
 * it answers; one that runs but stops answering is reported. Each change is handed to `report`.
 * Returns a function that stops watching.
 */
export function watchServices(services: readonly Service[], report: (e: ServiceEvent) => void, intervalMs = 1_000, healthEveryMs = 10_000): () => Promise<void> {
  let stopped = false;
  const loops = services.map(async (s) => {
    let backoffMs = 1_000;
    let answering = true;
    let lastHealth = Date.now();
    while (!stopped) {
      await sleep(intervalMs);
      if (stopped) break;
      if (s.running()) {
        // Is the process there: every interval (cheap). Does it answer: less often (a client round trip).
        if (Date.now() - lastHealth < healthEveryMs) continue;
        lastHealth = Date.now();
        const ok = await s.healthy().catch(() => false);
        if (ok !== answering && !stopped) report({ service: s.name, event: ok ? 'answering' : 'not-answering' });
        answering = ok;
        continue;
      }
      const since = Date.now();
      report({ service: s.name, event: 'down' });
      while (!stopped && !s.running()) {
        report({ service: s.name, event: 'restarting' });
        try {
          await s.start();
          const up = await waitFor(s.name, async () => !s.running() || (await s.healthy()), s.startTimeoutMs, 250);
          if (up && s.running()) {
            report({ service: s.name, event: 'back', downMs: Date.now() - since });
            backoffMs = 1_000;
            answering = true;
            break;
          }
          report({ service: s.name, event: 'restart-failed', error: `not healthy within ${s.startTimeoutMs / 1000}s; log ${s.logFile}` });
          if (s.running()) break;
        } catch (err) {
          report({ service: s.name, event: 'restart-failed', error: (err as Error).message });
        }
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  });
  return async () => {
    stopped = true;
    await Promise.all(loops);
  };
}
