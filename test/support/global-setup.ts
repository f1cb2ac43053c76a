import { loadConfig } from '../../infra/config';
import { services, stackDown, stackReset, stackUp } from '../../infra/stack';

/**
 * The suite runs against the real stack of the `test` profile (its own ports and data directory).
 * If Temporal, Kafka or Postgres cannot start, the whole run fails here: nothing is skipped.
 * Services this run started are stopped at the end; ones already running are left alone.
 */
export default async function setup() {
  process.env.ME_PROFILE ??= 'test';
  const cfg = loadConfig();
  // A suite that starts the test stack itself starts it from an empty data directory, so runs do
  // not slow down or see each other's leftovers. A stack already running (ME_KEEP_STACK) is reused.
  if (cfg.profile === 'test' && !services(cfg).some((s) => s.running())) {
    await stackReset(cfg);
  }
  const { started } = await stackUp(cfg, (l) => console.log(`[stack] ${l}`));
  return async () => {
    if (process.env.ME_KEEP_STACK !== '1') await stackDown(cfg, started, (l) => console.log(`[stack] ${l}`));
  };
}
