/**
 * `npm test`: type-check, check the import directions (.dependency-cruiser.cjs), then the whole
 * vitest suite (unit + integration). The integration
 * project's global setup starts the real stack of the `test` profile (Temporal, Kafka, Postgres,
 * SMTP) and stops what it started; if a service cannot start, the run fails loudly.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../config';

const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
const env = { ...process.env, ME_PROFILE: process.env.ME_PROFILE ?? 'test', KAFKAJS_NO_PARTITIONER_WARNING: '1' };

const t0 = Date.now();
console.log('typecheck: tsc --noEmit');
const tsc = spawnSync(bin('tsc'), ['--noEmit'], { cwd: ROOT, stdio: 'inherit', env });
if (tsc.status !== 0) {
  console.error('typecheck failed');
  process.exit(1);
}
console.log('import directions: npm run lint:imports');
const lint = spawnSync(bin('tsx'), [join(ROOT, 'infra', 'cli', 'lint-imports.ts')], { cwd: ROOT, stdio: 'inherit', env });
if (lint.status !== 0) {
  console.error('import directions check failed: move the import, or inject what the lower layer needs (rules and reasons in .dependency-cruiser.cjs)');
  process.exit(1);
}
const vitest = spawnSync(bin('vitest'), ['run', ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit', env });
console.log(`npm test finished in ${((Date.now() - t0) / 1000).toFixed(0)}s with status ${vitest.status}`);
process.exit(vitest.status ?? 1);
