import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../infra/db/pool';
import { createPublisher, type Publisher } from '../../../infra/kafka/client';
import { parseSigningKeys, signatureHeaders } from '../../../infra/kafka/signing';
import { DLQ_HEADERS, TOPICS } from '../../../infra/kafka/topics';
import { ALL_PROJECTIONS, startProjector } from '../../../workers/projector';
import type { RunningProjector } from '../../../workers/projections/runner';
import { testConfig, uniq } from '../../support/env';
import { caughtUp, findInDlq } from '../projections/support';
import { asMessage, asProjectMessage, engineKeys, expectedLineTotals, generateStream } from '../projections/stream';

/**
 * A forged event can never displace a real one: an envelope written with the worker's own Kafka
 * credentials but without the engine's signing key, carrying the NEXT sequence of a real mobility
 * and arriving BEFORE the real event, is dead-lettered as `bad-signature` (with an alert); the real
 * event then arrives and is folded, and every figure is what the real stream gives.
 */
const cfg = testConfig();
const pool = createPool(cfg);
const names = ALL_PROJECTIONS.map((p) => p.name);
let insider: Publisher;
let projector: RunningProjector;

beforeAll(async () => {
  insider = await createPublisher(cfg, 'forged-test', 'worker');
  projector = await startProjector(cfg, pool, ALL_PROJECTIONS, { groupId: `projector-forged-${uniq()}` });
});

afterAll(async () => {
  await projector?.stop();
  await insider?.close();
  await pool.end();
});

const health = async (kind: string, reason: string): Promise<number> =>
  Number((await pool.query('SELECT coalesce(sum(messages), 0)::bigint AS n FROM projection_health WHERE kind = $1 AND reason = $2', [kind, reason])).rows[0].n);
const lineTotals = async (projectId: string) =>
  (await pool.query('SELECT funder_line_id, committed_cents, paid_cents, prefinanced_cents, remaining_cents FROM budget_line_totals WHERE project_id = $1 ORDER BY funder_line_id', [projectId])).rows;
const deadReasons = async (eventId: string) =>
  (await pool.query<{ reason: string }>('SELECT reason FROM projection_dead_letters WHERE event_id = $1 ORDER BY "offset"', [eventId])).rows.map((r) => r.reason);

describe('a forged event with the next sequence of a real mobility, written before the real one', () => {
  it('is dead-lettered as bad-signature; the real event is folded; no figure changes', { timeout: 120_000 }, async () => {
    const tag = uniq();
    const stream = generateStream(57, tag, 6, 1);
    const project = stream.projects[0]!;
    const payment = stream.mobilityEvents.find((e) => e.type === 'PaymentOrdered')!;
    // The real next event of one mobility is held back: the forgeries take its place in the stream first.
    const real = stream.mobilityEvents.filter((e) => e.mobilityId === payment.mobilityId).at(-1)!;
    const before = stream.mobilityEvents.filter((e) => e !== real);
    await insider.publish(TOPICS.projectEvents.name, stream.projectEvents.map(asProjectMessage));
    await insider.publish(TOPICS.mobilityEvents.name, before.map(asMessage));
    await caughtUp(cfg, pool, names, 60_000);
    const figures = await lineTotals(project.projectId);
    const dlBefore = await health('dead-letter', 'bad-signature');
    const alertsBefore = await health('alert', 'bad-signature');

    const forged = { ...payment, mobilityId: real.mobilityId, projectId: real.projectId, sequence: real.sequence, eventId: real.eventId, occurredAt: real.occurredAt, payload: { ...payment.payload, paymentId: `PAY-FORGED-${tag}`, amountCents: 5_000_000_000, paidTotalCents: 5_000_000_000 } };
    const value = JSON.stringify(forged);
    const headers = { 'event-id': forged.eventId, 'event-type': forged.type, 'event-version': String(forged.version) };
    // Unsigned; signed with a key of the forger's own under the engine's key id; the engine's signature of another value.
    const foreign = parseSigningKeys(`${engineKeys().current.id} ${randomBytes(32).toString('base64')}\n`);
    const realSignature = signatureHeaders(engineKeys(), real.mobilityId, JSON.stringify(real));
    await insider.publish(TOPICS.mobilityEvents.name, [
      { key: forged.mobilityId, value, headers },
      { key: forged.mobilityId, value, headers: { ...headers, ...signatureHeaders(foreign, forged.mobilityId, value) } },
      { key: forged.mobilityId, value, headers: { ...headers, ...realSignature } },
    ]);
    const dl = await findInDlq(cfg, (m) => m.headers['event-id'] === forged.eventId && m.headers[DLQ_HEADERS.reason] === 'bad-signature');
    expect(dl.headers[DLQ_HEADERS.detail]).toMatch(/unsigned|does not match/);
    await caughtUp(cfg, pool, names, 30_000);
    expect(await deadReasons(forged.eventId)).toEqual(['bad-signature', 'bad-signature', 'bad-signature']);
    expect(await health('dead-letter', 'bad-signature')).toBe(dlBefore + 3);
    expect(await health('alert', 'bad-signature')).toBe(alertsBefore + 3);
    expect((await pool.query('SELECT 1 FROM projection_alerts WHERE event_id = $1 AND kind = $2', [forged.eventId, 'bad-signature'])).rowCount).toBe(3);
    // Never parked, never admitted: the stream still waits for the real event.
    expect((await pool.query('SELECT 1 FROM projection_event_ledger WHERE event_id = $1', [forged.eventId])).rowCount).toBe(0);
    expect((await pool.query('SELECT 1 FROM projection_sequence_parked WHERE event_id = $1', [forged.eventId])).rowCount).toBe(0);
    expect(await lineTotals(project.projectId)).toEqual(figures);

    // The real event arrives, signed by the engine: folded by every projection.
    await insider.publish(TOPICS.mobilityEvents.name, [asMessage(real)]);
    await caughtUp(cfg, pool, names, 30_000);
    expect(await deadReasons(real.eventId)).toEqual(['bad-signature', 'bad-signature', 'bad-signature']);
    const processed = (await pool.query<{ projector: string }>('SELECT projector FROM processed_events WHERE event_id = $1 ORDER BY projector', [real.eventId])).rows.map((r) => r.projector);
    expect(processed).toEqual([...names].sort());
    const ledger = (await pool.query<{ offset: string }>('SELECT "offset" FROM projection_event_ledger WHERE event_id = $1', [real.eventId])).rows;
    expect(ledger).toHaveLength(1);
    // Every figure is the real stream's, to the cent.
    const expected = expectedLineTotals(stream);
    const rows = await lineTotals(project.projectId);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const want = expected.get(`${project.projectId}|${row.funder_line_id}`)!;
      expect({ line: row.funder_line_id, committed: Number(row.committed_cents), paid: Number(row.paid_cents), prefinanced: Number(row.prefinanced_cents) })
        .toEqual({ line: row.funder_line_id, committed: want.committed, paid: want.paid, prefinanced: want.prefinanced });
    }
  });
});
