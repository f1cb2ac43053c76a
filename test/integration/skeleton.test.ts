import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { createPool } from '../../infra/db/pool';
import { connectTemporal } from '../../infra/temporal';
import { startMobility } from '../../workflows/client';
import { viewQuery } from '../../workflows/messages';
import { applicationsProjection, startProjector } from '../../workers/projector';
import { createMobilityWorker } from '../../workers/temporal-worker';
import { eventually, testConfig } from '../support/env';
import { newProject, studyApplication, today } from './workflow/fixtures';

const cfg = testConfig();
const pool = createPool(cfg);
let client: Client;
let worker: Awaited<ReturnType<typeof createMobilityWorker>>;
let running: Promise<void>;
let projector: Awaited<ReturnType<typeof startProjector>>;

beforeAll(async () => {
  client = await connectTemporal(cfg);
  worker = await createMobilityWorker(cfg);
  running = worker.worker.run();
  projector = await startProjector(cfg, pool, applicationsProjection);
});

afterAll(async () => {
  await projector?.stop();
  worker?.worker.shutdown();
  await running;
  await worker?.close();
  await client?.connection.close();
  await pool.end();
});

describe('walking skeleton: command → workflow → Kafka → projector → Postgres', () => {
  it('starts a mobility workflow whose application event is projected into Postgres', async () => {
    const { projectId, mobilityId } = newProject();
    const app = studyApplication(mobilityId(1), projectId, today(), { participantRef: 'P-7f3a9c21' });
    const handle = await startMobility(client, cfg.temporal.taskQueue, app);
    expect(handle.workflowId).toBe(mobilityId(1));
    const row = await eventually(async () => (await pool.query('SELECT * FROM mobility_applications WHERE mobility_id = $1', [mobilityId(1)])).rows[0], 30_000, 'projected row');
    expect(row).toMatchObject({ project_id: projectId, participant_ref: 'P-7f3a9c21', activity: 'HE-SMS', event_id: `${mobilityId(1)}:0` });
    expect((await handle.query(viewQuery)).eventsPublished).toBe(1);
    await handle.terminate('test done');
  });

  it('refuses bad input with an error naming the field and starts nothing', async () => {
    const { projectId, mobilityId } = newProject();
    const err = await startMobility(client, cfg.temporal.taskQueue, { ...studyApplication(mobilityId(2), projectId, today()), participantRef: 'jane.doe@example.org' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZodError);
    expect((err as ZodError).issues.map((i) => i.path.join('.'))).toEqual(['participantRef']);
    await expect(client.workflow.getHandle(mobilityId(2)).describe()).rejects.toThrow(/not found/i);
  });
});
