/**
 * Records workflow histories of real runs for the replay tests (test/integration/workflow/replay.test.ts).
 *
 *   tsx test/histories/record.ts --server timeskip --name mobility-full-lifecycle-v2 [--pre-patch]
 *   tsx test/histories/record.ts --server dev --name mobility-past-dated-dev
 *   … --budget budget-guard-local   also writes the project's budget guard's history (as it stands) under that name
 *   tsx test/histories/record.ts --server timeskip --name mobility-co-funded --co-funded
 *
 * --server timeskip: the Java time-skipping test server (months pass in seconds: every reminder fires).
 * --server dev: the stack's Temporal dev server (ME_* environment as usual; dates in the past so
 *   deadlines fall due at once).
 * --co-funded: a mobility co-funded by a regional line (flat 150 €/month, cap 600 €, fewer opportunities) beside the
 *   Erasmus+ line: the shares reserved at selection and adjusted at the certificate (the co-funding patch).
 * --pre-patch: runs the workflow code as it was before the report-escalation patch (the patched()
 *   branch taken as false, no marker), to keep a history of the old behaviour.
 * Kafka, Postgres and SMTP of the stack are used as in production; the stack must be up.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { addDays } from '../../domain/dates';
import { loadConfig } from '../../infra/config';
import { createPool } from '../../infra/db/pool';
import { connectTemporal } from '../../infra/temporal';
import { createTimeSkippingEnv } from '../../infra/temporal-test-server';
import { budgetWorkflowId } from '../../workflows/budget-messages';
import { mobility, registerProject, startMobility } from '../../workflows/client';
import { createMobilityWorker, quietTemporalRuntime, workflowsPath } from '../../workers/temporal-worker';
import { addContacts, erasmusLine, newProject, studyApplication } from '../integration/workflow/fixtures';

const { values } = parseArgs({ options: { server: { type: 'string', default: 'timeskip' }, name: { type: 'string' }, budget: { type: 'string' }, 'pre-patch': { type: 'boolean', default: false }, 'co-funded': { type: 'boolean', default: false } } });
if (!values.name) throw new Error('--name is required');
const cfg = loadConfig({ ...process.env, ME_PROFILE: process.env.ME_PROFILE ?? 'test' });
quietTemporalRuntime();

async function bundle() {
  if (!values['pre-patch']) return bundleWorkflowCode({ workflowsPath });
  const dir = join(cfg.root, 'workflows');
  const src = readFileSync(join(dir, 'mobility.workflow.ts'), 'utf8');
  if (!src.includes('patched(REPORT_ESCALATION_PATCH)')) throw new Error('patch call not found');
  const variant = join(dir, 'zz-pre-patch.workflow.ts');
  const index = join(dir, 'zz-pre-patch.index.ts');
  writeFileSync(variant, src.replace('patched(REPORT_ESCALATION_PATCH)', 'false && REPORT_ESCALATION_PATCH.length > 0'));
  writeFileSync(index, "export { mobilityWorkflow } from './zz-pre-patch.workflow';\nexport { projectBudgetWorkflow } from './budget.workflow';\n");
  try {
    return await bundleWorkflowCode({ workflowsPath: index });
  } finally {
    rmSync(variant, { force: true });
    rmSync(index, { force: true });
  }
}

const pool = createPool(cfg);
const workflowBundle = await bundle();
const taskQueue = `record-${Date.now().toString(36)}`;
let client: Client;
let env: Awaited<ReturnType<typeof createTimeSkippingEnv>> | null = null;
let connection: NativeConnection | undefined;
if (values.server === 'timeskip') {
  env = await createTimeSkippingEnv(cfg);
  client = env.client;
  connection = env.nativeConnection;
} else {
  client = await connectTemporal(cfg);
}
const w = await createMobilityWorker(cfg, { client, connection, taskQueue, workflowBundle });
const running = w.worker.run();
const staff = { actor: 'staff.io-1' };
const nowMs = async () => (env ? env.currentTimeMs() : Date.now());
const sleepUntil = async (date: string) => {
  const ms = Date.parse(`${date}T10:00:00Z`) - (await nowMs());
  if (ms > 0 && env) await env.sleep(ms);
};

try {
  const { projectId, mobilityId } = newProject();
  const id = mobilityId(1);
  const t0 = new Date(await nowMs()).toISOString().slice(0, 10);
  const past = values.server !== 'timeskip';
  const app = studyApplication(id, projectId, past ? addDays(t0, -240) : t0, { participantRef: 'P-recorded01' });
  await addContacts(pool, app.participantRef);
  if (values['co-funded']) {
    const region = { lineId: 'region', funder: 'Région Auvergne-Rhône-Alpes', allocatedCents: 200_000, allocatedMobilities: 4, rule: { kind: 'flat', per: 'month', amountEur: 150, capEur: 600, condition: 'fewer-opportunities' } } as const;
    await registerProject(client, taskQueue, { projectId, institutionId: 'F-PARIS-001', lines: [{ ...erasmusLine(2_000_000, 4)[0]!, rule: { kind: 'erasmus-plus' } }, region] });
    await startMobility(client, taskQueue, {
      ...app, plan: { ...app.plan, fewerOpportunities: true },
      coFunding: { erasmusPlusFunder: 'Erasmus+ KA131', lines: [{ lineId: region.lineId, funder: region.funder, rule: region.rule }] },
    });
  } else {
    await registerProject(client, taskQueue, { projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(2_000_000, 4) });
    await startMobility(client, taskQueue, app);
  }
  const m = mobility(client, id);
  await m.act('select', staff);
  const signed = past ? addDays(app.plan.startDate, -30) : t0;
  await m.act('signAgreement', { ...staff, participantSignedOn: signed, institutionSignedOn: signed });
  await sleepUntil(app.plan.startDate);
  await m.act('confirmDeparture', { ...staff, actualStartDate: app.plan.startDate });
  await sleepUntil(addDays(app.plan.endDate, 2));
  await m.hostCertificateOfAttendance({ actualStartDate: app.plan.startDate, actualEndDate: app.plan.endDate });
  const reportDue = addDays(app.plan.endDate, 31);
  await sleepUntil(addDays(reportDue, 9));
  const today = new Date(await nowMs()).toISOString().slice(0, 10);
  for (let i = 0; i < 100 && !(await m.state() as { reportInvitation?: unknown }).reportInvitation; i++) await new Promise((r) => setTimeout(r, 100));
  await m.surveySubmitted({ submittedOn: today });
  await m.transcriptReceived({ receivedOn: today, ects: 30 });
  // Signals are applied by the main loop after the Updates before them: wait until both facts are in the state.
  for (let i = 0; i < 100; i++) {
    const s = (await m.state()) as { stage: string; transcript?: unknown };
    if (s.stage === 'reported' && s.transcript) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await m.act('recordRecognition', { ...staff, outcome: 'full', recognisedEcts: 30 });
  await m.handle.result();
  const history = await m.handle.fetchHistory();
  const file = join(cfg.root, 'test', 'histories', `${values.name}.json`);
  // protobufjs object form (enum names, base64 bytes, string longs): read back with History.fromObject.
  // (@temporalio/common's historyToJSON throws "type must be a Type" with this install's duplicate protobufjs.)
  const json = proto.temporal.api.history.v1.History.toObject(history as never, { enums: String, longs: String, bytes: String });
  writeFileSync(file, `${JSON.stringify(json, null, 1)}\n`);
  console.log(`recorded ${history.events?.length} events of ${id} → ${file}`);
  if (values.budget) {
    // The project's budget guard as it stands (it never ends): a partial history replays as well.
    const guard = await client.workflow.getHandle(budgetWorkflowId(projectId)).fetchHistory();
    // The time-skipping server ends a workflow nothing waits for at its 10-year execution timeout: keep what ran.
    guard.events = (guard.events ?? []).filter((e) => !e.workflowExecutionTimedOutEventAttributes);
    const guardFile = join(cfg.root, 'test', 'histories', `${values.budget}.json`);
    writeFileSync(guardFile, `${JSON.stringify(proto.temporal.api.history.v1.History.toObject(guard as never, { enums: String, longs: String, bytes: String }), null, 1)}\n`);
    console.log(`recorded ${guard.events?.length} events of the budget guard of ${projectId} → ${guardFile}`);
  }
} finally {
  w.worker.shutdown();
  await running;
  await w.close();
  if (env) await env.teardown();
  else await client.connection.close();
  await pool.end();
}
