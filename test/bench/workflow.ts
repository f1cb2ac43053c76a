/**
 * Mobility workflow throughput with time skipping (Java test server) and the real Kafka,
 * Postgres and SMTP of the bench stack: N full five-month lifecycles driven in lockstep (each
 * step for all mobilities at once, then one time skip), every reminder and overdue timer firing.
 * Baseline from the same run: N registrations of a budget guard plus one reservation Update each
 * (a minimal start-plus-update workflow on the same server and worker).
 * Run alone: npm run bench workflow   (or ME_BENCH_LIFECYCLES=20 for a quick look)
 */
import { addDays } from '../../domain/dates';
import type { Config } from '../../infra/config';
import { createPool } from '../../infra/db/pool';
import { mobility, projectBudget, registerProject, startMobility } from '../../workflows/client';
import { budgetWorkflowId, reserveBudgetUpdate } from '../../workflows/budget-messages';
import { addContacts, erasmusLine, newProject, studyApplication } from '../integration/workflow/fixtures';
import { timeSkipping } from '../integration/workflow/harness';

/** A fresh time-skipping server and worker per batch: the Java test server 1.38.0 degrades as runs
 *  accumulate and with many concurrent calls ("Unbalanced lock and unlock calls", dropped
 *  connections), so each batch of `batch` lifecycles gets a clean one; its start-up is not timed. */
async function withServer<T>(cfg: Config, fn: (ts: Awaited<ReturnType<typeof timeSkipping>>) => Promise<T>): Promise<T> {
  const ts = await timeSkipping(cfg);
  const w = await ts.startWorker();
  try {
    return await fn(ts);
  } finally {
    await w.stop();
    await ts.teardown();
  }
}

export async function bench(cfg: Config) {
  const n = Number(process.env.ME_BENCH_LIFECYCLES ?? 100);
  const batch = Number(process.env.ME_BENCH_BATCH ?? 10);
  const pool = createPool(cfg);
  const staff = { actor: 'staff.bench' };
  try {
    let baselineSecs = 0;
    let lifecycleSecs = 0;
    let events = 0;
    for (let first = 1; first <= n; first += batch) {
      const size = Math.min(batch, n - first + 1);
      await withServer(cfg, async (ts) => {
        const client = ts.env.client;
        // Baseline: start a budget guard and send it one Update.
        const b0 = performance.now();
        await Promise.all(
          Array.from({ length: size }, async () => {
            const { projectId, mobilityId } = newProject();
            await registerProject(client, ts.taskQueue, { projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(1_000_000, 5) });
            await client.workflow.getHandle(budgetWorkflowId(projectId)).executeUpdate(reserveBudgetUpdate, { args: [{ mobilityId: mobilityId(1), lineId: 'erasmus', amountCents: 100 }] });
          }),
        );
        baselineSecs += (performance.now() - b0) / 1000;

        const { projectId, mobilityId } = newProject();
        await registerProject(client, ts.taskQueue, { projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(1_000_000_000, size) });
        const t0 = await ts.today();
        const apps = Array.from({ length: size }, (_, i) => studyApplication(mobilityId(i + 1), projectId, t0));
        for (const a of apps) await addContacts(pool, a.participantRef);
        const all = (f: (m: ReturnType<typeof mobility>) => Promise<unknown>) => Promise.all(apps.map((a) => f(mobility(client, a.mobilityId))));
        const p = apps[0]!.plan;
        const l0 = performance.now();
        await Promise.all(apps.map((a) => startMobility(client, ts.taskQueue, a)));
        await all((m) => m.act('select', staff));
        await all((m) => m.act('signAgreement', { ...staff, participantSignedOn: t0, institutionSignedOn: t0 }));
        await ts.sleepUntil(p.startDate);
        await all((m) => m.act('confirmDeparture', { ...staff, actualStartDate: p.startDate }));
        await ts.sleepUntil(addDays(p.endDate, 2));
        await all((m) => m.hostCertificateOfAttendance({ actualStartDate: p.startDate, actualEndDate: p.endDate }));
        await ts.sleepUntil(addDays(p.endDate, 31 + 9));
        const day = await ts.today();
        await all((m) => m.surveySubmitted({ submittedOn: day }));
        await all((m) => m.transcriptReceived({ receivedOn: day, ects: 30 }));
        await all(async (m) => {
          const ready = async () => {
            const st = (await m.state()) as { stage: string; transcript?: unknown };
            return st.stage === 'reported' && !!st.transcript;
          };
          for (let i = 0; i < 400 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 50));
        });
        await all((m) => m.act('recordRecognition', { ...staff, outcome: 'full', recognisedEcts: 30 }));
        const results = (await all((m) => m.handle.result())) as { stage: string; eventsRecorded: number }[];
        lifecycleSecs += (performance.now() - l0) / 1000;
        if (results.some((r) => r.stage !== 'recognised')) throw new Error('a lifecycle did not complete');
        events += results.reduce((s, r) => s + r.eventsRecorded, 0);
        const budget = await projectBudget(client, projectId);
        if (budget?.lines[0]?.reservedMobilities !== size) throw new Error('budget reservations do not match');
      });
    }
    console.log(`  ${n} lifecycles in ${lifecycleSecs.toFixed(1)} s (batches of ${batch}, ${events} events); baseline ${n} start+update in ${baselineSecs.toFixed(1)} s`);
    return [
      { name: 'workflow: budget guard start + 1 Update (time-skipping server)', unit: 'workflows', perSecond: n / baselineSecs },
      { name: 'workflow: full 5-month mobility lifecycle, every timer (time skipping)', unit: 'lifecycles', perSecond: n / lifecycleSecs, baseline: 'workflow: budget guard start + 1 Update (time-skipping server)' },
    ];
  } finally {
    await pool.end();
  }
}
