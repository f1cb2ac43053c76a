import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readOneAtATime, readsInFlight } from '../../workflows/reads';

/**
 * Reads of one workflow go one at a time from a process (a closed workflow's worker drops a query that arrives
 * while it replays another), and each caller's answer comes from a read sent after it asked.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('readOneAtATime', () => {
  it('given callers arriving at random times while reads take random times, then never two reads of one workflow in flight, and every answer is fresh', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.constantFrom('A', 'B'), arriveMs: fc.integer({ min: 0, max: 12 }), readMs: fc.integer({ min: 0, max: 6 }), fails: fc.boolean() }), { minLength: 1, maxLength: 25 }),
        async (callers) => {
          const inFlight = new Map<string, number>();
          let worst = 0;
          let reads = 0;
          const started: number[] = [];
          const run = callers.map(async (c) => {
            await sleep(c.arriveMs);
            const askedAt = performance.now();
            const read = async () => {
              const n = reads++;
              started[n] = performance.now();
              inFlight.set(c.id, (inFlight.get(c.id) ?? 0) + 1);
              worst = Math.max(worst, inFlight.get(c.id)!);
              await sleep(c.readMs);
              inFlight.set(c.id, inFlight.get(c.id)! - 1);
              if (c.fails) throw new Error(`read ${n} failed`);
              return n;
            };
            try {
              const n = await readOneAtATime(c.id, read);
              expect(started[n]).toBeGreaterThanOrEqual(askedAt);
            } catch (err) {
              expect(String(err)).toMatch(/read \d+ failed/);
            }
          });
          await Promise.all(run);
          expect(worst).toBe(1);
          expect(reads).toBeLessThanOrEqual(callers.length);
          expect(readsInFlight()).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('given ten callers at once, when the first read is in flight, then the nine others share one read sent after it', async () => {
    let reads = 0;
    let release!: () => void;
    const first = readOneAtATime('X', async () => {
      reads++;
      await new Promise<void>((r) => { release = r; });
      return 'first';
    });
    const rest = Array.from({ length: 9 }, () => readOneAtATime('X', async () => { reads++; return `read ${reads}`; }));
    await sleep(5);
    expect(reads).toBe(1);
    release();
    expect(await first).toBe('first');
    expect(new Set(await Promise.all(rest))).toEqual(new Set(['read 2']));
    expect(reads).toBe(2);
    expect(readsInFlight()).toBe(0);
  });
});
