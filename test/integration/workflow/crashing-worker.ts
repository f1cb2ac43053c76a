/**
 * A worker process that kills itself (SIGKILL, no cleanup) at a chosen point, to prove that the
 * lifecycle resumes on another worker without a duplicate payment, e-mail or event.
 *   ME_CRASH_AT=payment:<kind>  right after the payment order row is committed, before the activity completes
 *   ME_CRASH_AT=mail:first      right after the first e-mail is sent and marked, before the activity completes
 *   (unset)                      a normal worker
 */
import { loadConfig } from '../../../infra/config';
import { createMobilityWorker } from '../../../workers/temporal-worker';

const crashAt = process.env.ME_CRASH_AT ?? '';
const die = () => process.kill(process.pid, 'SIGKILL');
const { worker } = await createMobilityWorker(loadConfig(), {
  faults: {
    payments: { afterInsert: (r) => { console.error(`[crashing-worker ${crashAt || 'normal'}] payment ${r.kind}`); if (crashAt === `payment:${r.kind}`) die(); } },
    notifications: { afterSent: (r) => { console.error(`[crashing-worker ${crashAt || 'normal'}] sent ${r.deadlineId} #${r.attempt}`); if (crashAt === 'mail:first') die(); } },
  },
});
process.on('SIGTERM', () => worker.shutdown());
const running = worker.run();
console.log('worker ready');
await running;
process.exit(0);
