/**
 * `npm run projections:rebuild [name…]`: drops the projections (all, or the named ones: applications,
 * budget, quality, bm, incoming) and refolds them from the start of the event topics (incoming-events
 * for the incoming projection), in one transaction. Safe while the projector
 * runs: it waits, then resumes after the rebuilt positions.
 */
import { loadConfig } from '../infra/config';
import { createPool } from '../infra/db/pool';
import { INCOMING_PROJECTION } from '../workers/projections/incoming';
import { rebuildProjections } from '../workers/projections/rebuild';
import { ALL_PROJECTIONS } from '../workers/projector';

const cfg = loadConfig();
const wanted = process.argv.slice(2);
const known = [...ALL_PROJECTIONS.map((p) => p.name), INCOMING_PROJECTION];
const unknown = wanted.filter((w) => !known.includes(w));
if (unknown.length > 0) {
  console.error(`unknown projection(s): ${unknown.join(', ')}; known: ${known.join(', ')}`);
  process.exit(2);
}
const chosen = wanted.length === 0 ? ALL_PROJECTIONS : ALL_PROJECTIONS.filter((p) => wanted.includes(p.name));
const incoming = wanted.length === 0 || wanted.includes(INCOMING_PROJECTION);
const pool = createPool(cfg, 2);
try {
  const r = await rebuildProjections(cfg, pool, chosen, console.log, { incoming });
  console.log(JSON.stringify(r));
} catch (err) {
  console.error(`rebuild failed, the projections are unchanged: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
process.exit(process.exitCode ?? 0);
