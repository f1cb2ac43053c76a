import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../infra/config';
import { createPool } from '../../../infra/db/pool';
import { createPublisher, type Publisher } from '../../../infra/kafka/client';
import type { IncomingMessage } from '../../../infra/kafka/consumer';
import { DLQ_HEADERS, TOPICS } from '../../../infra/kafka/topics';
import { ALL_PROJECTIONS, startProjector } from '../../../workers/projector';
import { type FoldResult, foldIsolating, type Projection, type RunningProjector } from '../../../workers/projections/runner';
import { eventually, uniq } from '../../support/env';
import { caughtUp, findInDlq } from '../projections/support';
import { asMessage, asProjectMessage, engineKeys, generateStream, mobilityStory, projectRegistered, rng } from '../projections/stream';

/**
 * A poison message never blocks a partition, and a forged event changes no figure:
 * - a message whose `type` holds a NUL character fails the Postgres insert (invalid text): it goes
 *   to the dead-letter topic at once with the reason, the partition moves on, projection_health counts it;
 * - a message whose fold keeps failing is dead-lettered at its N-th attempt;
 * - an envelope that repeats a folded event id with another payload is dead-lettered with an alert;
 * - an envelope ahead of its stream waits, then is dead-lettered as out of sequence.
 */
const cfg = loadConfig({ ...process.env, ME_PROFILE: process.env.ME_PROFILE ?? 'test', ME_PROJECTOR_PARK_TIMEOUT_MS: '3000' });
const pool = createPool(cfg);
const names = ALL_PROJECTIONS.map((p) => p.name);
let pub: Publisher;
let projector: RunningProjector;

beforeAll(async () => {
  pub = await createPublisher(cfg, 'poison-test');
  projector = await startProjector(cfg, pool, ALL_PROJECTIONS, { groupId: `projector-poison-${uniq()}` });
});

afterAll(async () => {
  await projector?.stop();
  await pub?.close();
  await pool.end();
});

const health = async (kind: string, reason: string): Promise<number> =>
  (await pool.query('SELECT coalesce(sum(messages), 0)::bigint AS n FROM projection_health WHERE kind = $1 AND reason = $2', [kind, reason])).rows[0].n;

const lineTotals = async (db: pg.Pool, projectId: string) =>
  (await db.query('SELECT funder_line_id, committed_cents, paid_cents, remaining_cents FROM budget_line_totals WHERE project_id = $1 ORDER BY funder_line_id', [projectId])).rows;

describe('a poison message', () => {
  it('with a NUL character in its type is dead-lettered at once and the partition moves on', { timeout: 60_000 }, async () => {
    const tag = uniq();
    const { events } = mobilityStory(rng(31), { projectId: `2024-1-FR01-KA131-HED-${tag}`, institutionId: 'F-PARIS-001', consortiumId: null, n: 1, funderLineId: 'EPLUS' }, 'agreed');
    const poison = { ...events[0]!, type: 'Application\u0000Submitted' };
    const before = await health('dead-letter', 'fold-failed');
    const t0 = Date.now();
    // The poison takes the first sequence of its mobility; the mobility's next events follow it on the same partition.
    await pub.publish(TOPICS.mobilityEvents.name, [asMessage(poison), ...events.slice(1).map(asMessage)]);
    const dl = await findInDlq(cfg, (m) => m.headers['event-id'] === events[0]!.eventId && m.headers[DLQ_HEADERS.reason] === 'fold-failed');
    expect(dl.headers[DLQ_HEADERS.detail]).toMatch(/non-retryable database error 22/);
    expect(dl.value).toBe(JSON.stringify(poison));
    // Every later event of the partition is folded, this mobility's included.
    await caughtUp(cfg, pool, names, 30_000);
    console.log(`[poison] NUL-byte message dead-lettered and partition caught up in ${Date.now() - t0} ms`);
    const { rows: [m] } = await pool.query('SELECT selected, agreed FROM budget_mobilities WHERE mobility_id = $1', [events[0]!.mobilityId]);
    expect(m).toEqual({ selected: true, agreed: true });
    const { rows } = await pool.query('SELECT reason, event_type FROM projection_dead_letters WHERE event_id = $1', [events[0]!.eventId]);
    expect(rows).toEqual([{ reason: 'fold-failed', event_type: 'ApplicationSubmitted' }]);
    expect(await health('dead-letter', 'fold-failed')).toBe(before + 1);
  });

  it('whose fold keeps failing is dead-lettered at its N-th attempt, the messages around it are folded', { timeout: 60_000 }, async () => {
    const tag = uniq();
    const { events } = mobilityStory(rng(32), { projectId: `2024-1-FR01-KA131-HED-${tag}`, institutionId: 'F-PARIS-001', consortiumId: null, n: 1, funderLineId: 'EPLUS' }, 'selected');
    const bad = events[1]!.eventId;
    const folded: string[] = [];
    const probe: Projection = {
      name: `poison-probe-${tag}`,
      async apply(_tx, e) {
        if (e.eventId === bad) throw new TypeError('fold bug');
        folded.push(e.eventId);
      },
    };
    const partition = 2_000_000 + Math.floor(Math.random() * 1e6);
    const batch = {
      topic: TOPICS.mobilityEvents.name, partition, highWatermark: String(events.length),
      messages: events.map(asMessage).map((m, offset): IncomingMessage => ({ topic: TOPICS.mobilityEvents.name, partition, offset: String(offset), key: m.key, value: Buffer.from(m.value), headers: m.headers ?? {} })),
    };
    const attempts = new Map<string, number>();
    const opts = { projector: 'poison-test', dlq: null, keys: engineKeys() };
    // Attempts 1 and 2 fail and leave the batch to be delivered again; the third dead-letters the message.
    for (let attempt = 1; attempt < 3; attempt++) await expect(foldIsolating(pool, [probe], batch, opts, attempts, 3)).rejects.toThrow('fold bug');
    const r: FoldResult = await foldIsolating(pool, [probe], batch, opts, attempts, 3);
    expect(r.deadLettered).toBe(1);
    expect(folded).toEqual(events.filter((e) => e.eventId !== bad).map((e) => e.eventId));
    const { rows: [dl] } = await pool.query('SELECT reason, detail FROM projection_dead_letters WHERE topic = $1 AND partition = $2 AND "offset" = 1', [TOPICS.mobilityEvents.name, partition]);
    expect(dl).toEqual({ reason: 'fold-failed', detail: 'failed 3 times: fold bug' });
    const { rows: [pos] } = await pool.query('SELECT next_offset FROM projection_offsets WHERE projection = $1 AND partition = $2', [probe.name, partition]);
    expect(pos.next_offset).toBe(events.length);
    await pool.query('DELETE FROM projection_offsets WHERE projection = $1', [probe.name]);
    await pool.query('DELETE FROM processed_events WHERE projector = $1', [probe.name]);
  });
});

describe('a forged event', () => {
  const tag = uniq();
  const stream = generateStream(41, tag, 8, 1);
  const project = stream.projects[0]!;
  const certified = stream.mobilityEvents.find((e) => e.type === 'AttendanceCertified')!;
  const selected = stream.mobilityEvents.find((e) => e.type === 'ParticipantSelected')!;

  it('that repeats a folded event id with another payload is dead-lettered with an alert and changes no figure', { timeout: 90_000 }, async () => {
    await pub.publish(TOPICS.projectEvents.name, stream.projectEvents.map(asProjectMessage));
    await pub.publish(TOPICS.mobilityEvents.name, stream.mobilityEvents.map(asMessage));
    await caughtUp(cfg, pool, names, 60_000);
    const before = await lineTotals(pool, project.projectId);
    const alerts = await health('alert', 'conflicting-duplicate');
    const forged = { ...selected, payload: { ...selected.payload, estimatedGrant: { ...(selected.payload.estimatedGrant as object), totalCents: 999_999_900 } } };
    await pub.publish(TOPICS.mobilityEvents.name, [asMessage(forged)]);
    const dl = await findInDlq(cfg, (m) => m.headers['event-id'] === selected.eventId && m.headers[DLQ_HEADERS.reason] === 'conflicting-duplicate');
    expect(dl.headers[DLQ_HEADERS.detail]).toMatch(/already folded with another payload/);
    await caughtUp(cfg, pool, names, 30_000);
    expect(await health('alert', 'conflicting-duplicate')).toBe(alerts + 1);
    expect(await lineTotals(pool, project.projectId)).toEqual(before);
    // The same event sent again unchanged is a plain redelivery: no alert.
    await pub.publish(TOPICS.projectEvents.name, [asProjectMessage(projectRegistered(project))]);
    await pub.publish(TOPICS.mobilityEvents.name, [asMessage(selected), asMessage(certified)]);
    await caughtUp(cfg, pool, names, 30_000);
    expect(await health('alert', 'conflicting-duplicate')).toBe(alerts + 1);
    expect(await lineTotals(pool, project.projectId)).toEqual(before);
  });

  it('ahead of its stream waits, is never folded, and is dead-lettered as out of sequence', { timeout: 90_000 }, async () => {
    const before = await lineTotals(pool, project.projectId);
    const last = stream.mobilityEvents.filter((e) => e.mobilityId === certified.mobilityId).at(-1)!;
    const payment = stream.mobilityEvents.find((e) => e.type === 'PaymentOrdered')!;
    const forged = { ...payment, mobilityId: last.mobilityId, projectId: last.projectId, sequence: last.sequence + 5, eventId: `${last.mobilityId}:${last.sequence + 5}`, payload: { ...payment.payload, amountCents: 5_000_000_000, paidTotalCents: 5_000_000_000, paymentId: `PAY-FORGED-${tag}` } };
    await pub.publish(TOPICS.mobilityEvents.name, [asMessage(forged)]);
    await eventually(async () => (await pool.query('SELECT 1 FROM projection_sequence_parked WHERE event_id = $1', [forged.eventId])).rowCount === 1, 30_000, 'the forged event parked');
    expect(await lineTotals(pool, project.projectId)).toEqual(before);
    const dl = await findInDlq(cfg, (m) => m.headers['event-id'] === forged.eventId && m.headers[DLQ_HEADERS.reason] === 'out-of-sequence', 60_000);
    expect(dl.headers[DLQ_HEADERS.detail]).toMatch(new RegExp(`sequence ${forged.sequence} of .* waited`));
    expect((await pool.query('SELECT 1 FROM projection_sequence_parked WHERE event_id = $1', [forged.eventId])).rowCount).toBe(0);
    expect(await lineTotals(pool, project.projectId)).toEqual(before);
  });
});
