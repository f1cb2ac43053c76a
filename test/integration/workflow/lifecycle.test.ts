import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { computeMobilityGrant } from '../../../domain/grant/compute';
import { createPool } from '../../../infra/db/pool';
import { temporalBinary } from '../../../infra/stack/temporal';
import { mobility, projectBudget, registerProject, startMobility } from '../../../workflows/client';
import { eventually, testConfig } from '../../support/env';
import { addContacts, erasmusLine, newProject, studyApplication, today } from './fixtures';
import { onDevServer } from './harness';

/** On the installed dev server (real clock): Updates, validators, queries, search attributes and the temporal CLI. */
const cfg = testConfig();
const pool = createPool(cfg);
/** The CLI runs asynchronously: a synchronous child would block this process's worker while the CLI waits on it. */
const cli = async (...args: string[]) => (await promisify(execFile)(temporalBinary(cfg), [...args, '--address', cfg.temporal.address, '--namespace', cfg.temporal.namespace], { encoding: 'utf8' })).stdout;
const dev = onDevServer(cfg);
afterAll(() => pool.end());

describe('mobility workflow on the dev server', () => {
  it('selects against the budget, refuses an illegal step before the history, signs and orders the pre-financing', async () => {
    const { projectId, mobilityId } = newProject();
    await registerProject(dev.client, cfg.temporal.taskQueue, { projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(1_000_000, 5) });
    const app = studyApplication(mobilityId(1), projectId, today());
    await addContacts(pool, app.participantRef);
    await startMobility(dev.client, cfg.temporal.taskQueue, app);
    const m = mobility(dev.client, mobilityId(1));

    const refused = await m.act('confirmDeparture', { actor: 'staff.io-1', actualStartDate: app.plan.startDate }).then(() => null, (e: unknown) => e as Error & { cause?: Error & { type?: string } }) as Error & { cause?: Error & { type?: string } };
    expect(refused).toBeInstanceOf(Error);
    expect(refused.cause?.type).toBe('wrong-stage');
    expect(refused.cause?.message).toMatch(/cannot confirm the departure/);
    const bad = await m.act('signAgreement', { actor: 'staff.io-1', participantSignedOn: 'yesterday', institutionSignedOn: today() }).then(() => null, (e: unknown) => e as Error & { cause?: Error & { type?: string } }) as Error & { cause?: Error & { type?: string } };
    expect(bad.cause?.type).toBe('InvalidInput');
    expect(bad.cause?.message).toMatch(/participantSignedOn/);
    const history = await m.handle.fetchHistory();
    expect(JSON.stringify(history.events)).not.toMatch(/WorkflowExecutionUpdateAccepted/i);

    expect(await m.act('select', { actor: 'staff.io-1' })).toEqual({ stage: 'selected', events: ['ParticipantSelected'] });
    const grant = await m.grant();
    const estimated = grant.estimated!.totalCents;
    expect(estimated).toBeGreaterThan(300_000); // 5 months at 600 €/month + 309 € travel, BM 30-day months
    expect(grant.estimated!.lines.map((l) => l.ruleId)).toEqual(['GRANT-HE-LT', 'GRANT-TRAVEL-STD']);
    expect(grant.budget.heldCents).toBe(estimated);
    expect((await projectBudget(dev.client, projectId))?.lines[0]).toMatchObject({ reservedCents: estimated, reservedMobilities: 1, remainingCents: 1_000_000 - estimated });

    await m.act('signAgreement', { actor: 'staff.io-1', participantSignedOn: today(), institutionSignedOn: today() });
    const order = await eventually(async () => (await pool.query('SELECT * FROM payment_orders WHERE mobility_id = $1', [mobilityId(1)])).rows[0], 20_000, 'pre-financing order');
    expect(order).toMatchObject({ idempotency_key: `${mobilityId(1)}:prefinancing:1`, kind: 'prefinancing', amount_cents: Math.round(estimated * 0.8) });
    expect((await m.state()).stage).toBe('agreed');
    const audit = await m.audit();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['submitApplication', 'budget.reserve', 'select', 'signAgreement', 'payment.prefinancing']));
    const d = await m.deadlines();
    // Agreed: the pre-financing, and before departure the OLS assessment and insurance and travel (the agreement is signed).
    expect(d.deadlines.map((x) => x.id).sort()).toEqual(['insurance-travel', 'ols-assessment', 'prefinancing-payment']);

    const listed = await eventually(async () => {
      const out = await cli('workflow', 'list', '--query', `ProjectId="${projectId}" AND MobilityStage="agreed"`, '-o', 'json');
      return out.includes(mobilityId(1)) ? out : null;
    }, 20_000, 'visibility');
    expect(listed).toContain(mobilityId(1));

    await m.act('cancel', { actor: 'staff.io-1', reasonCode: 'participant-withdrew' });
    await m.handle.result();
    expect((await projectBudget(dev.client, projectId))?.lines[0]).toMatchObject({ reservedCents: 0, reservedMobilities: 0 });
    const recovery = (await pool.query(`SELECT * FROM payment_orders WHERE mobility_id = $1 AND kind = 'recovery'`, [mobilityId(1)])).rows[0];
    expect(recovery).toMatchObject({ amount_cents: Math.round(estimated * 0.8) });
  });

  it('drives one mobility with the temporal CLI: update execute and query', async () => {
    const { projectId, mobilityId } = newProject();
    await registerProject(dev.client, cfg.temporal.taskQueue, { projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(1_000_000, 5) });
    await startMobility(dev.client, cfg.temporal.taskQueue, studyApplication(mobilityId(1), projectId, today()));
    const out = await cli('workflow', 'update', 'execute', '--workflow-id', mobilityId(1), '--name', 'select', '--input', JSON.stringify({ actor: 'staff.cli' }));
    expect(out).toMatch(/ParticipantSelected/);
    const refused = await cli('workflow', 'update', 'execute', '--workflow-id', mobilityId(1), '--name', 'select', '--input', JSON.stringify({ actor: 'staff.cli' })).then(
      () => '',
      (e: { stderr?: string }) => String(e.stderr ?? e),
    );
    expect(refused).toMatch(/cannot select the participant/);
    const q = await cli('workflow', 'query', '--workflow-id', mobilityId(1), '--type', 'view', '-o', 'json');
    expect(q).toMatch(/"stage":\s*"selected"/);
    await dev.client.workflow.getHandle(mobilityId(1)).terminate('test done');
  });

  it('never overspends when selections race for a nearly exhausted budget line', async () => {
    const { projectId, mobilityId } = newProject();
    const apps = [1, 2, 3, 4].map((n) => studyApplication(mobilityId(n), projectId, today()));
    await Promise.all(apps.map((a) => startMobility(dev.client, cfg.temporal.taskQueue, a)));
    const p = apps[0]!.plan;
    const grant = computeMobilityGrant({ callYear: 2024, activity: 'HE-SMS', longTerm: true, sendingCountry: 'FR', receivingCountry: 'DE', startDate: p.startDate, endDate: p.endDate, distanceKm: 800, greenTravel: false, fewerOpportunities: false, rates: { monthlyEur: 600 } }).totalCents;
    // Line sized for one and a half grants: only one of the racing selections can fit.
    await registerProject(dev.client, cfg.temporal.taskQueue, { projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(Math.round(grant * 1.5), 10) });
    const outcomes = await Promise.allSettled(apps.map((a) => mobility(dev.client, a.mobilityId).act('select', { actor: 'staff.io-1' })));
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    const budget = (await projectBudget(dev.client, projectId))!.lines[0]!;
    expect(budget.reservedCents).toBeLessThanOrEqual(budget.allocatedCents);
    expect(ok.length).toBe(budget.reservedMobilities);
    expect(ok.length).toBe(1);
    expect(budget.reservedCents).toBe(grant);
    for (const r of refused) {
      expect((r.reason as { cause?: { type?: string } }).cause?.type).toBe('InsufficientFunds');
      expect((r.reason as { cause?: { message?: string } }).cause?.message).toMatch(/would overspend line erasmus/);
    }
    const stages = await Promise.all(apps.map(async (a) => (await mobility(dev.client, a.mobilityId).view()).stage));
    expect(stages.filter((s) => s === 'selected')).toHaveLength(ok.length);
    expect(stages.filter((s) => s === 'applied')).toHaveLength(refused.length);
    await Promise.all(apps.map((a) => dev.client.workflow.getHandle(a.mobilityId).terminate('test done')));
  });
});
