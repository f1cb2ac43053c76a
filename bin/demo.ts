/**
 * The demo fed by `npm start` (also runnable alone against a running stack: npm run demo).
 * It starts a handful of mobilities of a demo project through the same validated commands
 * operations staff use.
 */
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { type Config, loadConfig } from '../infra/config';
import { connectTemporal } from '../infra/temporal';
import { startMobility } from '../workflows/client';

export const DEMO_PROJECT = '2024-1-FR01-KA131-HED-000042';

export async function runDemo(cfg: Config, client: Client, log: (l: string) => void = console.log): Promise<string[]> {
  const participants = ['P-a1b2c3d4', 'P-e5f6a7b8', 'P-c9d0e1f2'];
  const ids: string[] = [];
  for (const [i, participantRef] of participants.entries()) {
    const mobilityId = `${DEMO_PROJECT}-MOB-${String(i + 1).padStart(5, '0')}`;
    try {
      await startMobility(client, cfg.temporal.taskQueue, { mobilityId, projectId: DEMO_PROJECT, institutionId: 'F-LYON-003', participantRef, activity: i === 2 ? 'HE-STA' : 'HE-SMS' });
      log(`demo: started mobility ${mobilityId}`);
    } catch (err) {
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
      log(`demo: mobility ${mobilityId} already exists (kept from an earlier run)`);
    }
    ids.push(mobilityId);
  }
  return ids;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cfg = loadConfig();
  const client = await connectTemporal(cfg);
  await runDemo(cfg, client);
  await client.connection.close();
}
